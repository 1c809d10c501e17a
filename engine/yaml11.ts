/**
 * The YAML 1.1 scalar rules every aetherflow file is read with (docs/yaml-spec.md: parity with upstream PyYAML).
 * The `yaml` package's 1.1 floats accept a missing mantissa or dot (`e1`, `.`, `1e3`), which PyYAML reads
 * as strings; `e1` even became NaN, so a step id `e1` failed as a non-string. Floats here follow PyYAML:
 * a dot is required, and an exponent needs its sign (`1.0e+3` is a float, `1e3` a string).
 * @module
 */
import type { DocumentOptions, ParseOptions, SchemaOptions, Tags } from "yaml";

const _FLOAT_TAG = "tag:yaml.org,2002:float";
const _FLOAT_EXP_REGEXP = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)[eE][-+][0-9]+$/;
const _FLOAT_REGEXP = /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*|\.[0-9_]+)$/;

function _pyyamlFloats(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== "object" || tag.tag !== _FLOAT_TAG || !("test" in tag) || !tag.test) return tag;
    if (tag.format === "EXP") return { ...tag, test: _FLOAT_EXP_REGEXP };
    if (tag.format === undefined && tag.test.source.includes("\\.[0-9_]*$")) {
      return { ...tag, test: _FLOAT_REGEXP };
    }
    return tag;
  });
}

/** Options for `parse`/`parseDocument`: YAML 1.1 with PyYAML's float rules. Spread, then add your own. */
export const YAML11_OPTIONS: Readonly<ParseOptions & DocumentOptions & SchemaOptions> = Object.freeze({
  version: "1.1",
  customTags: _pyyamlFloats,
  // Problems are read from `doc.errors`/`doc.warnings` and reported as issues; the package must not also print
  // them through process.emitWarning (stray `(node:…) Warning:` lines on stderr).
  logLevel: "error",
});
