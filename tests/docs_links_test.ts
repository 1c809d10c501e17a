// The docs cite only what a newcomer has: every `*.md` a page names exists in the repository, and no page
// cites sections (`§`) of spec files that are not part of it (issue 9 item 11).
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
