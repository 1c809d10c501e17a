/**
 * The YAML 1.1 scalar rules every aetherflow file is read with: parity with upstream's reader, PyYAML (its
 * `SafeLoader` resolvers and constructors), not with the YAML 1.1 spec or the `yaml` package's reading of it.
 * Where they differ, PyYAML wins: `y`/`n` are strings (only yes/no/true/false/on/off in their three case forms
 * are booleans), `08` and `0:30` are strings, a float needs a dot and a signed exponent (`1e3` is a string; the
 * package even read `e1` as NaN, so a step id `e1` failed), a date needs two-digit month and day, and an
 * impossible date (`2001-02-30`) is an error. `testdata/yaml11/pyyaml_scalars.json` holds PyYAML's reading of
 * every implicit form; `yaml11_table_test.ts` checks these rules against it. See docs/yaml-spec.md.
 * @module
 */
import type { DocumentOptions, ParseOptions, ScalarTag, SchemaOptions, Tags } from "yaml";

const _BOOL_TAG = "tag:yaml.org,2002:bool";
const _INT_TAG = "tag:yaml.org,2002:int";
const _FLOAT_TAG = "tag:yaml.org,2002:float";
const _TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp";

// PyYAML's implicit resolvers (yaml/resolver.py), verbatim apart from JS syntax.
const _TRUE_REGEXP = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const _FALSE_REGEXP = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const _INT_REGEXP =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const _FLOAT_REGEXP = new RegExp(
  "^(?:[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?" +
    "|\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?" +
    "|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*" +
    "|[-+]?\\.(?:inf|Inf|INF)" +
    "|\\.(?:nan|NaN|NAN))$",
);
const _TIMESTAMP_REGEXP = new RegExp(
  "^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}" +
    "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \\t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\\.[0-9]*)?" +
    "(?:[ \\t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
);
// PyYAML's constructor regex (yaml/constructor.py), with groups.
const _TIMESTAMP_PARTS_REGEXP = new RegExp(
  "^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})" +
    "(?:(?:[Tt]|[ \\t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\\.([0-9]*))?" +
    "(?:[ \\t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)?$",
);

type _OnError = (message: string) => void;

/** PyYAML's `construct_yaml_int`: `_` dropped, 0b/0x/leading-0 octal, base-60 with `:`. */
function _int(text: string, onError: _OnError): number {
  let s = text.replace(/_/g, "");
  const sign = s.startsWith("-") ? -1 : 1;
  if (s.startsWith("-") || s.startsWith("+")) s = s.slice(1);
  let value: number;
  if (s === "0") value = 0;
  else if (s.startsWith("0b")) value = _parseDigits(s.slice(2), 2);
  else if (s.startsWith("0x")) value = _parseDigits(s.slice(2), 16);
  else if (s.startsWith("0")) value = _parseDigits(s, 8);
  else if (s.includes(":")) value = s.split(":").reduce((acc, part) => acc * 60 + _parseDigits(part, 10), 0);
  else value = _parseDigits(s, 10);
  if (Number.isNaN(value)) onError(`Invalid integer: ${JSON.stringify(text)}`);
  // Python has no negative integer zero: `-0` is 0.
  return value === 0 ? 0 : sign * value;
}

function _parseDigits(digits: string, radix: number): number {
  const valid =
    { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  return valid.test(digits) ? parseInt(digits, radix) : NaN;
}

/** PyYAML's `construct_yaml_float`: `_` dropped, case-insensitive .inf/.nan, base-60 with `:`. */
function _float(text: string, onError: _OnError): number {
  let s = text.replace(/_/g, "").toLowerCase();
  const sign = s.startsWith("-") ? -1 : 1;
  if (s.startsWith("-") || s.startsWith("+")) s = s.slice(1);
  let value: number;
  if (s === ".inf") value = Infinity;
  else if (s === ".nan") return NaN;
  else if (s.includes(":")) value = s.split(":").reduce((acc, part) => acc * 60 + _pyFloat(part), 0);
  else value = _pyFloat(s);
  if (Number.isNaN(value)) onError(`Invalid float: ${JSON.stringify(text)}`);
  return sign * value;
}

// Python's float() of what the regex let through: digits with at most one dot and an optional exponent.
const _PY_FLOAT_REGEXP = /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[-+]?[0-9]+)?$/;

function _pyFloat(s: string): number {
  return _PY_FLOAT_REGEXP.test(s) ? Number(s) : NaN;
}

/**
 * A YAML 1.1 timestamp as read: a Date that also keeps `text`, what Python's `str()` makes of PyYAML's value
 * (`2024-01-02`, `2001-12-14 21:59:43.100000-05:00`). Upstream's steps got that text wherever they used a date
 * from a flow, so free-form values (step inputs, outputs, resource config) carry it ({@linkcode datesAsText}).
 */
export class YamlTimestamp extends Date {
  readonly text: string;

  constructor(ms: number, text: string) {
    super(ms);
    this.text = text;
  }
}

/**
 * `value` with every Date replaced by its text (docs/yaml-spec.md): a {@linkcode YamlTimestamp}'s PyYAML text,
 * any other Date its ISO form. Maps and lists are copied; a value without dates is returned as it is.
 */
export function datesAsText<T>(value: T): T {
  if (value instanceof YamlTimestamp) return value.text as T;
  if (value instanceof Date) {
    return (Number.isNaN(value.getTime()) ? String(value) : value.toISOString()) as T;
  }
  if (Array.isArray(value)) {
    const items = value.map(datesAsText);
    return (items.some((v, i) => v !== value[i]) ? items : value) as T;
  }
  if (typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = datesAsText(v);
      if (out[k] !== v) changed = true;
    }
    return (changed ? out : value) as T;
  }
  return value;
}

const _pad = (n: number, width: number): string => String(n).padStart(width, "0");

/** Python's `str()` of PyYAML's date or datetime for the constructor regex's groups. */
function _pythonText(m: RegExpExecArray): string {
  const date = `${_pad(Number(m[1]), 4)}-${_pad(Number(m[2]), 2)}-${_pad(Number(m[3]), 2)}`;
  if (m[4] === undefined) return date;
  let out = `${date} ${_pad(Number(m[4]), 2)}:${m[5]}:${m[6]}`;
  // PyYAML keeps 6 fraction digits; str() shows them only when they are not all zero.
  const micro = (m[7] ?? "").slice(0, 6).padEnd(6, "0");
  if (Number(micro) !== 0) out += `.${micro}`;
  if (m[9] !== undefined) {
    const minutes = Number(m[10]) * 60 + Number(m[11] ?? 0);
    const sign = m[9] === "-" && minutes !== 0 ? "-" : "+";
    out += `${sign}${_pad(Math.floor(minutes / 60), 2)}:${_pad(minutes % 60, 2)}`;
  } else if (m[8] !== undefined) {
    out += "+00:00"; // `Z`: timezone.utc
  }
  return out;
}

/**
 * PyYAML's `construct_yaml_timestamp`: a date-only form is midnight UTC; without a zone the time is read as
 * UTC (a JS Date has no naive form); sub-millisecond digits are dropped. A date or time that does not exist
 * (`2001-02-30`, hour 24) is an error, as in PyYAML.
 */
function _timestamp(text: string, onError: _OnError): Date {
  const m = _TIMESTAMP_PARTS_REGEXP.exec(text);
  if (!m) {
    onError(`Invalid timestamp: ${JSON.stringify(text)}`);
    return new Date(NaN);
  }
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number(((m[7] ?? "") + "000").slice(0, 3));
  // setUTCFullYear, unlike Date.UTC, keeps years below 100 as they are. Dates roll over (Feb 30 -> Mar 2)
  // where PyYAML's datetime() refuses, hence the check.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  const exists = year >= 1 && d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  let offsetMin = 0;
  if (m[9] !== undefined) {
    offsetMin = (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11] ?? 0));
  }
  if (!exists || Math.abs(offsetMin) >= 24 * 60) {
    onError(`Invalid timestamp: ${JSON.stringify(text)} is not a real date and time`);
    return new Date(NaN);
  }
  return new YamlTimestamp(d.getTime() - offsetMin * 60_000, _pythonText(m));
}

/** The package's 1.1 scalar tags with PyYAML's tests and constructors; explicit `!!int`/`!!float` too. */
function _pyyamlScalars(tags: Tags): Tags {
  const out: Tags = [];
  let intDone = false;
  let floatDone = false;
  const explicit: ScalarTag[] = [];
  for (const tag of tags) {
    if (typeof tag !== "object" || !("test" in tag) || !tag.test) {
      out.push(tag);
      continue;
    }
    if (tag.tag === _BOOL_TAG) {
      const truthy = tag.test.test("true");
      out.push({ ...tag, test: truthy ? _TRUE_REGEXP : _FALSE_REGEXP });
    } else if (tag.tag === _INT_TAG) {
      // One tag for every int form; the package's format-specific ones (BIN, OCT, HEX, TIME) go.
      if (intDone || tag.format !== undefined) continue;
      intDone = true;
      const resolve = (s: string, onError: _OnError) => _int(s, onError);
      out.push({ ...tag, test: _INT_REGEXP, resolve });
      explicit.push({ ...tag, default: false, test: undefined, resolve });
    } else if (tag.tag === _FLOAT_TAG) {
      if (floatDone || tag.format !== undefined) continue;
      floatDone = true;
      const resolve = (s: string, onError: _OnError) => _float(s, onError);
      out.push({ ...tag, test: _FLOAT_REGEXP, resolve });
      explicit.push({ ...tag, default: false, test: undefined, resolve });
    } else if (tag.tag === _TIMESTAMP_TAG) {
      out.push({
        ...tag,
        test: _TIMESTAMP_REGEXP,
        resolve: (s: string, onError: _OnError) => _timestamp(s, onError),
      });
    } else {
      out.push(tag);
    }
  }
  // Explicit tags are looked up by name, and an entry without a test wins over the implicit ones: `!!float 1`
  // is 1 as in PyYAML (the package refused it because "1" fails the implicit float test).
  return [...explicit, ...out];
}

/** Options for `parse`/`parseDocument`: YAML 1.1 with PyYAML's scalar rules. Spread, then add your own. */
export const YAML11_OPTIONS: Readonly<ParseOptions & DocumentOptions & SchemaOptions> = Object.freeze({
  version: "1.1",
  customTags: _pyyamlScalars,
  // Problems are read from `doc.errors`/`doc.warnings` and reported as issues; the package must not also print
  // them through process.emitWarning (stray `(node:…) Warning:` lines on stderr).
  logLevel: "error",
});
