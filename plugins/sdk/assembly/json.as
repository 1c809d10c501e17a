// A small JSON reader and writer for AssemblyScript plugins (the ABI speaks UTF-8 JSON; AssemblyScript has
// no JSON built in). Values keep their source text in `raw`, so a plugin can pass a value through untouched.

export const enum JKind {
  Null,
  Bool,
  Num,
  Str,
  Arr,
  Obj,
}

/** One parsed JSON value. Objects keep key order; `get` returns the first match. */
export class JValue {
  kind: JKind;
  /** The value's JSON text as it appeared in the input. */
  raw: string = "";
  str: string = "";
  num: f64 = 0;
  flag: bool = false;
  keys: string[] = [];
  items: JValue[] = [];

  constructor(kind: JKind) {
    this.kind = kind;
  }

  /** The member `key` of an object, or null. */
  get(key: string): JValue | null {
    for (let i = 0; i < this.keys.length; i++) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  /** The string member `key`, or `fallback` when absent or not a string. */
  getString(key: string, fallback: string = ""): string {
    const v = this.get(key);
    return v != null && v.kind == JKind.Str ? v.str : fallback;
  }

  /** The number member `key`, or `fallback`. */
  getNumber(key: string, fallback: f64 = 0): f64 {
    const v = this.get(key);
    return v != null && v.kind == JKind.Num ? v.num : fallback;
  }

  /** The boolean member `key` (JSON `true`/`false` only), or `fallback`. */
  getBool(key: string, fallback: bool = false): bool {
    const v = this.get(key);
    return v != null && v.kind == JKind.Bool ? v.flag : fallback;
  }

  /** The integer member `key` (a number without a fractional part, within i64), or `fallback`. */
  getInt(key: string, fallback: i64 = 0): i64 {
    const v = this.get(key);
    if (v == null || v.kind != JKind.Num) return fallback;
    const n = v.num;
    if (n != Math.floor(n) || n < -9.2233720368547758e18 || n >= 9.2233720368547758e18) return fallback;
    return <i64>n;
  }

  /** The array member `key`'s elements; empty when absent or not an array. */
  getArray(key: string): JValue[] {
    const v = this.get(key);
    return v != null && v.kind == JKind.Arr ? v.items : [];
  }

  /** The object member `key`, or null when absent or not an object. */
  getObject(key: string): JValue | null {
    const v = this.get(key);
    return v != null && v.kind == JKind.Obj ? v : null;
  }

  /** Whether the object has member `key` (even `null`). */
  has(key: string): bool {
    return this.get(key) != null;
  }

  /** Whether this value is JSON `null`. */
  isNull(): bool {
    return this.kind == JKind.Null;
  }
}

class _Parser {
  s: string;
  i: i32 = 0;

  constructor(s: string) {
    this.s = s;
  }

  ws(): void {
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.i++;
    }
  }

  value(): JValue {
    this.ws();
    const start = this.i;
    const c = this.s.charCodeAt(this.i);
    let v: JValue;
    if (c == 123) v = this.object();
    else if (c == 91) v = this.array();
    else if (c == 34) {
      v = new JValue(JKind.Str);
      v.str = this.string();
    } else if (this.s.startsWith("true", this.i)) {
      v = new JValue(JKind.Bool);
      v.flag = true;
      this.i += 4;
    } else if (this.s.startsWith("false", this.i)) {
      v = new JValue(JKind.Bool);
      this.i += 5;
    } else if (this.s.startsWith("null", this.i)) {
      v = new JValue(JKind.Null);
      this.i += 4;
    } else {
      v = new JValue(JKind.Num);
      while (this.i < this.s.length) {
        const d = this.s.charCodeAt(this.i);
        if (!((d >= 48 && d <= 57) || d == 45 || d == 43 || d == 46 || d == 101 || d == 69)) break;
        this.i++;
      }
      if (this.i == start) throw new Error("invalid JSON at " + start.toString());
      v.num = parseFloat(this.s.substring(start, this.i));
    }
    v.raw = this.s.substring(start, this.i);
    return v;
  }

  object(): JValue {
    const v = new JValue(JKind.Obj);
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) == 125) {
      this.i++;
      return v;
    }
    while (true) {
      this.ws();
      const key = this.string();
      this.ws();
      this.i++; // ':'
      v.keys.push(key);
      v.items.push(this.value());
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c == 125) return v;
      if (c != 44) throw new Error("invalid JSON object");
    }
  }

  array(): JValue {
    const v = new JValue(JKind.Arr);
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) == 93) {
      this.i++;
      return v;
    }
    while (true) {
      v.items.push(this.value());
      this.ws();
      const c = this.s.charCodeAt(this.i++);
      if (c == 93) return v;
      if (c != 44) throw new Error("invalid JSON array");
    }
  }

  string(): string {
    if (this.s.charCodeAt(this.i) != 34) throw new Error("expected a JSON string");
    this.i++;
    let out = "";
    let from = this.i;
    while (this.i < this.s.length) {
      const c = this.s.charCodeAt(this.i);
      if (c == 34) {
        out += this.s.substring(from, this.i);
        this.i++;
        return out;
      }
      if (c == 92) {
        out += this.s.substring(from, this.i);
        const e = this.s.charCodeAt(this.i + 1);
        this.i += 2;
        if (e == 110) out += "\n";
        else if (e == 116) out += "\t";
        else if (e == 114) out += "\r";
        else if (e == 98) out += "\b";
        else if (e == 102) out += "\f";
        else if (e == 117) {
          out += String.fromCharCode(i32(parseInt(this.s.substring(this.i, this.i + 4), 16)));
          this.i += 4;
        } else out += String.fromCharCode(e);
        from = this.i;
        continue;
      }
      this.i++;
    }
    throw new Error("unterminated JSON string");
  }
}

/** Parse JSON text. Throws (aborts) on malformed input. */
export function parseJson(text: string): JValue {
  return new _Parser(text).value();
}

/** `s` as a JSON string literal, quotes included. */
export function quote(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 34 || c == 92 || c < 32) {
      out += s.substring(from, i);
      if (c == 34) out += '\\"';
      else if (c == 92) out += "\\\\";
      else if (c == 10) out += "\\n";
      else if (c == 9) out += "\\t";
      else if (c == 13) out += "\\r";
      else out += "\\u00" + (c < 16 ? "0" : "") + c.toString(16);
      from = i + 1;
    }
  }
  return out + s.substring(from) + '"';
}
