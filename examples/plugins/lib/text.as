// Text helpers for the demo plugins: fnmatch patterns, CSV writing and the demos' CSV transform, XML text.

/**
 * Shell-style match of a whole name (`*`, `?`, `[abc]`, `[a-z]`, `[!abc]`), case-sensitive like Python's
 * fnmatch on POSIX. A `[` without its `]` is a literal.
 */
export function fnmatch(name: string, pattern: string): bool {
  return _match(name, 0, pattern, 0);
}

function _match(s: string, si: i32, p: string, pi: i32): bool {
  while (pi < p.length) {
    const c = p.charCodeAt(pi);
    if (c == 42) {
      // '*': try every split, shortest first.
      while (pi < p.length && p.charCodeAt(pi) == 42) pi++;
      if (pi == p.length) return true;
      for (let k = si; k <= s.length; k++) if (_match(s, k, p, pi)) return true;
      return false;
    }
    if (si >= s.length) return false;
    if (c == 63) {
      si++;
      pi++;
      continue;
    }
    if (c == 91) {
      const end = _classEnd(p, pi);
      if (end > 0) {
        if (!_inClass(s.charCodeAt(si), p, pi + 1, end)) return false;
        si++;
        pi = end + 1;
        continue;
      }
    }
    if (s.charCodeAt(si) != c) return false;
    si++;
    pi++;
  }
  return si == s.length;
}

// Index of the ']' closing the class opened at `open`, or -1. A ']' right after '[' or '[!' is literal.
function _classEnd(p: string, open: i32): i32 {
  let i = open + 1;
  if (i < p.length && p.charCodeAt(i) == 33) i++;
  if (i < p.length && p.charCodeAt(i) == 93) i++;
  while (i < p.length && p.charCodeAt(i) != 93) i++;
  return i < p.length ? i : -1;
}

function _inClass(ch: i32, p: string, from: i32, end: i32): bool {
  let i = from;
  let negate = false;
  if (p.charCodeAt(i) == 33) {
    negate = true;
    i++;
  }
  let hit = false;
  while (i < end) {
    const lo = p.charCodeAt(i);
    if (i + 2 < end && p.charCodeAt(i + 1) == 45) {
      if (lo <= ch && ch <= p.charCodeAt(i + 2)) hit = true;
      i += 3;
    } else {
      if (lo == ch) hit = true;
      i++;
    }
  }
  return hit != negate;
}

/** One CSV field, quoted when it holds a comma, a quote or a line break (Python's QUOTE_MINIMAL). */
export function csvField(v: string): string {
  let needs = false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c == 44 || c == 34 || c == 10 || c == 13) {
      needs = true;
      break;
    }
  }
  if (!needs) return v;
  return '"' + v.replaceAll('"', '""') + '"';
}

/**
 * The demos' CSV transform: split into lines at `\n` or `\r\n`, upper-case the first line (the header), join
 * with `\n`, and keep a final newline when the input ended with one.
 */
export function upperHeader(text: string): string {
  if (text.length == 0) return text;
  const endsWithNewline = text.endsWith("\n");
  const body = endsWithNewline ? text.substring(0, text.length - 1) : text;
  const lines = body.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.endsWith("\r")) lines[i] = l.substring(0, l.length - 1);
  }
  lines[0] = lines[0].toUpperCase();
  return lines.join("\n") + (endsWithNewline ? "\n" : "");
}

/** Whether `name` ends with `suffix`, ignoring ASCII case. */
export function endsWithIgnoreCase(name: string, suffix: string): bool {
  return name.toLowerCase().endsWith(suffix.toLowerCase());
}

/** XML character data with the five entities and numeric references decoded. */
export function xmlText(raw: string): string {
  if (raw.indexOf("&") < 0) return raw;
  let out = "";
  let i = 0;
  while (i < raw.length) {
    const amp = raw.indexOf("&", i);
    if (amp < 0) {
      out += raw.substring(i);
      break;
    }
    out += raw.substring(i, amp);
    const semi = raw.indexOf(";", amp);
    if (semi < 0) {
      out += raw.substring(amp);
      break;
    }
    const ent = raw.substring(amp + 1, semi);
    if (ent == "amp") out += "&";
    else if (ent == "lt") out += "<";
    else if (ent == "gt") out += ">";
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += "'";
    else if (ent.startsWith("#x")) out += String.fromCodePoint(<i32>parseInt(ent.substring(2), 16));
    else if (ent.startsWith("#")) out += String.fromCodePoint(<i32>parseInt(ent.substring(1), 10));
    else out += "&" + ent + ";";
    i = semi + 1;
  }
  return out;
}

/** The value of attribute `name` in the start tag `tag` (its text between '<' and '>'), or null. */
export function xmlAttr(tag: string, name: string): string | null {
  let from = 0;
  while (true) {
    const at = tag.indexOf(name + "=", from);
    if (at < 0) return null;
    const before = at == 0 ? 32 : tag.charCodeAt(at - 1);
    const q = tag.charCodeAt(at + name.length + 1);
    if ((before == 32 || before == 9 || before == 10 || before == 13) && (q == 34 || q == 39)) {
      const end = tag.indexOf(String.fromCharCode(q), at + name.length + 2);
      if (end < 0) return null;
      return xmlText(tag.substring(at + name.length + 2, end));
    }
    from = at + 1;
  }
}

/** The concatenated text of every `<t>` / `<x:t>` element inside `xml` (rich text runs joined). */
export function xmlTexts(xml: string): string {
  let out = "";
  let i = 0;
  while (true) {
    const open = findTag(xml, "t", i);
    if (open < 0) break;
    const gt = xml.indexOf(">", open);
    if (gt < 0) break;
    if (xml.charCodeAt(gt - 1) == 47) {
      i = gt + 1; // <t/>
      continue;
    }
    const close = xml.indexOf("</", gt);
    if (close < 0) break;
    out += xmlText(xml.substring(gt + 1, close));
    i = close + 2;
  }
  return out;
}

/** Index of the next start tag named `local` (any namespace prefix) at or after `from`, or -1. */
export function findTag(xml: string, local: string, from: i32): i32 {
  let i = from;
  while (true) {
    const lt = xml.indexOf("<", i);
    if (lt < 0) return -1;
    let j = lt + 1;
    const c0 = xml.charCodeAt(j);
    if (c0 == 47 || c0 == 63 || c0 == 33) {
      i = j;
      continue;
    }
    let k = j;
    while (k < xml.length) {
      const c = xml.charCodeAt(k);
      if (c == 32 || c == 62 || c == 47 || c == 9 || c == 10 || c == 13) break;
      k++;
    }
    let name = xml.substring(j, k);
    const colon = name.indexOf(":");
    if (colon >= 0) name = name.substring(colon + 1);
    if (name == local) return lt;
    i = k;
  }
  return -1;
}

/** Every element named `local` in `xml`, each as its whole text (start tag to end tag, or the empty tag). */
export function xmlElements(xml: string, local: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (true) {
    const open = findTag(xml, local, i);
    if (open < 0) break;
    const gt = xml.indexOf(">", open);
    if (gt < 0) break;
    if (xml.charCodeAt(gt - 1) == 47) {
      out.push(xml.substring(open, gt + 1));
      i = gt + 1;
      continue;
    }
    // The matching end tag: same local name (elements of one name do not nest in the parts read here).
    let end = gt + 1;
    let found = -1;
    while (true) {
      const close = xml.indexOf("</", end);
      if (close < 0) break;
      const gt2 = xml.indexOf(">", close);
      if (gt2 < 0) break;
      let name = xml.substring(close + 2, gt2).trim();
      const colon = name.indexOf(":");
      if (colon >= 0) name = name.substring(colon + 1);
      if (name == local) {
        found = gt2;
        break;
      }
      end = gt2 + 1;
    }
    if (found < 0) break;
    out.push(xml.substring(open, found + 1));
    i = found + 1;
  }
  return out;
}

/** The start tag (between '<' and '>') of an element's text. */
export function startTag(element: string): string {
  const gt = element.indexOf(">");
  return gt < 0 ? element : element.substring(0, gt);
}

/** The content between an element's start tag and its end tag ("" for an empty element). */
export function innerXml(element: string): string {
  const gt = element.indexOf(">");
  if (gt < 0 || element.charCodeAt(gt - 1) == 47) return "";
  const close = element.lastIndexOf("</");
  return close > gt ? element.substring(gt + 1, close) : "";
}
