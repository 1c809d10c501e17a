// The fuzz harness of tests/input_fuzz_test.ts: seeded mutations of text documents (line edits, swapped
// scalars of other types, YAML/JSON punctuation, raw bytes that are not UTF-8), reproducible from a seed.

const SCALARS = [
  "[]",
  "{}",
  "null",
  "~",
  "1.5",
  "-3",
  "yes",
  "no",
  "0x10",
  "2024-01-02",
  "'{{'",
  '"${X}"',
  "'{{ env.A }}'",
  "{{",
  "}}",
  "- a",
  "[1, [2, {a: b}]]",
  "&x 1",
  "*x",
  "!!binary aGk=",
  "'\\u0000'",
  '"\\t"',
  "|\n  text",
  ">-",
  "@",
  "`",
  "{a: 1, a: 2}",
  "on",
  "1_000",
  "''",
  "!!str",
  "? a",
  "<<: {a: 1}",
];
const JUNK = [
  "\u0000",
  "\t",
  "\r",
  "\uFEFF",
  ":",
  "- ",
  "{",
  "}",
  "[",
  "]",
  "#",
  "&",
  "*",
  "!",
  "|",
  ">",
  "%",
  "\\",
  '"',
  "'",
];

/** One mutation of `text` as bytes (some mutations are not valid UTF-8 on purpose). */
export function mutate(text: string, rnd: () => number): Uint8Array {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const lines = text.split("\n");
  const at = Math.floor(rnd() * lines.length);
  const rounds = 1 + Math.floor(rnd() * 3);
  for (let r = 0; r < rounds; r++) {
    switch (Math.floor(rnd() * 8)) {
      case 0:
        lines.splice(at, 1);
        break;
      case 1:
        lines.splice(at, 0, lines[at] ?? "");
        break;
      case 2: {
        const other = Math.floor(rnd() * lines.length);
        [lines[at], lines[other]] = [lines[other] ?? "", lines[at] ?? ""];
        break;
      }
      case 3: {
        // Swap a value for one of another type.
        const line = lines[at] ?? "";
        const colon = line.indexOf(": ");
        lines[at] = colon >= 0 ? `${line.slice(0, colon + 2)}${pick(SCALARS)}` : `${line}${pick(SCALARS)}`;
        break;
      }
      case 4: {
        const line = lines[at] ?? "";
        const pos = Math.floor(rnd() * (line.length + 1));
        lines[at] = line.slice(0, pos) + pick(JUNK) + line.slice(pos);
        break;
      }
      case 5:
        lines[at] = (rnd() < 0.5 ? " " : "") + (lines[at] ?? "").slice(rnd() < 0.5 ? 1 : 0);
        break;
      case 6:
        lines.length = Math.max(0, Math.floor(rnd() * lines.length));
        break;
      default: {
        // Random raw bytes, possibly invalid UTF-8.
        const bytes = new TextEncoder().encode(lines.join("\n"));
        const copy = new Uint8Array(bytes.length + 4);
        copy.set(bytes);
        for (let i = 0; i < 4; i++) copy[bytes.length + i] = Math.floor(rnd() * 256);
        return copy;
      }
    }
  }
  return new TextEncoder().encode(lines.join("\n"));
}
