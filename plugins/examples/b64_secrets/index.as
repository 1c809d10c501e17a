// Example secrets provider (D10): `aetherflow_decode` turns "base64:<text>" into the decoded text (other values
// pass through); `aetherflow_expand_env` adds KEY for every KEY_B64 variable, decoded.
import { inputJson, JValue, output, quote } from "../../sdk/assembly/aetherflow";
export { aetherflowAbort } from "../../sdk/assembly/aetherflow";

export function aetherflow_describe(): i32 {
  output('{"abi":1,"name":"examples-b64-secrets","version":"1.0.0","secrets":true}');
  return 0;
}

const _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function _b64decode(text: string): string {
  const bytes: u8[] = [];
  let buf: u32 = 0;
  let bits: i32 = 0;
  for (let i = 0; i < text.length; i++) {
    const v = _ALPHABET.indexOf(text.charAt(i));
    if (v < 0) continue; // padding and whitespace
    buf = (buf << 6) | u32(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push(u8((buf >> u32(bits)) & 0xff));
    }
  }
  const arr = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) arr[i] = bytes[i];
  return String.UTF8.decode(arr.buffer);
}

function _decodeValue(value: string): string {
  return value.startsWith("base64:") ? _b64decode(value.substring(7)) : value;
}

export function aetherflow_decode(): i32 {
  output('{"value":' + quote(_decodeValue(inputJson().getString("value"))) + "}");
  return 0;
}

export function aetherflow_expand_env(): i32 {
  const env = inputJson().get("env");
  let out = "";
  if (env != null) {
    for (let i = 0; i < env.keys.length; i++) {
      const key = env.keys[i];
      const item: JValue = env.items[i];
      out += (out.length > 0 ? "," : "") + quote(key) + ":" + quote(item.str);
      if (key.endsWith("_B64")) {
        out += "," + quote(key.substring(0, key.length - 4)) + ":" + quote(_b64decode(item.str));
      }
    }
  }
  output('{"env":{' + out + "}}");
  return 0;
}
