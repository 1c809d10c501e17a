// The docs cite only what a newcomer has: every `*.md` a page names exists in the repository, and no page
// cites sections (`§`) of spec files that are not part of it (issue 9 item 11); every repository path that docs
// and code comments name exists (issue 11).
import assert from "node:assert/strict";
import { dirname, join, normalize } from "node:path";
import { ROOT } from "./_helpers.ts";

async function _pages(): Promise<string[]> {
  const out = [join(ROOT, "README.md")];
  for await (const e of Deno.readDir(join(ROOT, "docs"))) {
    if (e.isFile && e.name.endsWith(".md")) out.push(join(ROOT, "docs", e.name));
  }
  return out.sort();
}

async function _exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

const _MD_NAME_REGEXP = /(?<![\w/.-])([\w./-]*[\w-]+\.md)\b/g;

Deno.test("docs name only markdown files the repository has, and cite no spec sections", async () => {
  const problems: string[] = [];
  for (const page of await _pages()) {
    const text = await Deno.readTextFile(page);
    const rel = page.slice(ROOT.length);
    text.split("\n").forEach((line, i) => {
      if (line.includes("§")) problems.push(`${rel}:${i + 1}: cites a section: ${line.trim()}`);
    });
    for (const m of text.matchAll(_MD_NAME_REGEXP)) {
      const name = m[1]!;
      const candidates = [normalize(join(dirname(page), name)), join(ROOT, name), join(ROOT, "docs", name)];
      if (!(await Promise.all(candidates.map(_exists))).some(Boolean)) {
        const line = text.slice(0, m.index).split("\n").length;
        problems.push(`${rel}:${line}: names ${name}, which the repository does not have`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

/** Repository files a reader may open: docs pages, README, and the comments of every TypeScript file. */
async function* _sources(dir = ROOT): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const path = join(dir, e.name);
    if (e.isDirectory) yield* _sources(path);
    else if (
      e.isFile && (e.name.endsWith(".ts") || e.name.endsWith(".md"))
    ) {
      yield path;
    }
  }
}

// `engine/steps/types.ts`, `tests/_helpers.ts`, `docs/cli.md`: a path from a top-level folder of the repository.
const _REPO_PATH_REGEXP =
  /(?<![\w/.=-])((?:cli|compose|docs|engine|examples|plugins|scripts|tests|testdata)\/[\w./-]*[\w/])/g;
// Paths the text shows as examples of a naming rule, not as files of the repository.
const _EXAMPLE_PATHS = new Set(["tests/x_test.ts", "engine/steps/_name.ts"]);

Deno.test("every repository path that docs and code comments name exists", async () => {
  const problems: string[] = [];
  let checked = 0;
  for await (const file of _sources()) {
    const rel = file.slice(ROOT.length);
    const lines = (await Deno.readTextFile(file)).split("\n");
    lines.forEach((line, i) => {
      // In TypeScript only comments count; in markdown every line.
      if (rel.endsWith(".ts") && !/^\s*(\/\/|\/?\*)/.test(line)) return;
      for (const m of line.matchAll(_REPO_PATH_REGEXP)) {
        const path = m[1]!;
        // Placeholders and globs (`<kind>_<driver>.ts`, `examples/*/scheduler.yaml`), bundle-relative plugins.
        if (/[*<>{}]/.test(line.slice(m.index, m.index + path.length + 1)) || path.endsWith(".wasm")) {
          continue;
        }
        if (_EXAMPLE_PATHS.has(path)) continue;
        checked++;
        try {
          Deno.statSync(join(ROOT, path));
        } catch {
          problems.push(`${rel}:${i + 1}: names ${path}, which the repository does not have`);
        }
      }
    });
  }
  assert.deepEqual(problems, []);
  assert.ok(checked > 500, `only ${checked} paths checked`);
});
