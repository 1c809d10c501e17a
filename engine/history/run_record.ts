// What the run record keeps beyond ids (docs/state.md "Run history"): the env keys a flow references and the
// effective settings, masked, so `runs show` and `runs diff` can say what a run ran with.
import { isSecretKey, MASK, type Masker, SETTING_NAMES, type Settings } from "../config/mod.ts";
import type { JsonObject, JsonValue } from "../types.ts";

/**
 * `{KEY: value}` for each key, masked: a secret-named key is always `***`, other values go through the masker
 * (a decoded secret that reached a plain key is masked too); an unset key is null.
 */
export function envRecord(
  keys: readonly string[],
  snapshot: Readonly<Record<string, string>>,
  masker: Masker,
): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const key of keys) {
    const value = Object.hasOwn(snapshot, key) ? snapshot[key]! : null;
    out[key] = value === null ? null : isSecretKey(key) ? MASK : masker.maskJson({ [key]: value })[key]!;
  }
  return out;
}

/**
 * The effective settings (every setting, plus the state durability knob), masked; a URL's user info is
 * dropped so an endpoint's credentials never reach the database.
 */
export function settingsRecord(
  settings: Settings,
  snapshot: Readonly<Record<string, string>>,
  masker: Masker,
): JsonObject {
  const out: JsonObject = {};
  for (const name of SETTING_NAMES) out[name] = _withoutUserinfo(settings[name] as JsonValue);
  out.state_synchronous = (snapshot.AETHERFLOW_STATE_SYNCHRONOUS ?? "").trim().toUpperCase() === "NORMAL"
    ? "NORMAL"
    : "FULL";
  return masker.maskJson(out);
}

function _withoutUserinfo(value: JsonValue): JsonValue {
  if (typeof value !== "string" || !/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value;
  try {
    const url = new URL(value);
    if (url.username === "" && url.password === "") return value;
    url.username = "";
    url.password = "";
    return url.toString();
  } catch {
    return value;
  }
}
