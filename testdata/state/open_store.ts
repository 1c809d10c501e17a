// Child process for state tests: open the store at argv[0]; print the outcome.
// Exit 0 = opened, 3 = StateError (message printed), 4 = anything else.
import { StateStore } from "../../engine/state/mod.ts";
import { StateError } from "../../engine/errors.ts";

try {
  StateStore.open(Deno.args[0]!).close();
  console.log("opened");
} catch (err) {
  if (err instanceof StateError) {
    console.log(`StateError: ${err.message}`);
    Deno.exit(3);
  }
  console.log(`other: ${err}`);
  Deno.exit(4);
}
