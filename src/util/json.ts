// Reading values out of JSON text by path, as Mongoose's mg_json_get* do, without
// building objects: a validating scanner walks the text (RFC 8259 grammar) and returns the
// raw text of the value the path names. Numbers keep their exact digits; malformed JSON,
// a missing path or a wrong type give undefined (or the default), never an exception.
//
// Paths are a JSONPath subset: `$` (the whole document), `.name` (object member),
// `[N]` (array element) and `["name"]` (member whose name has dots or brackets), e.g.
// `$.users[0].name`. When an object repeats a name, the first occurrence wins.

/** JSON text: a string, or bytes holding UTF-8. */
export type JsonInput = string | Uint8Array;

/** Deeper nesting than this is treated as malformed (guards the recursion). */
const MAX_DEPTH = 1000;

type Segment = string | number;

function parsePath(path: string): Segment[] | undefined {
  if (path.charCodeAt(0) !== 0x24 /* $ */) return undefined;
  const segs: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      let j = i + 1;
      while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
      if (j === i + 1) return undefined;
      segs.push(path.slice(i + 1, j));
      i = j;
    } else if (c === "[") {
      const q = path[i + 1];
      if (q === '"' || q === "'") {
        const end = path.indexOf(q + "]", i + 2);
        if (end < 0) return undefined;
        segs.push(path.slice(i + 2, end));
        i = end + 2;
      } else {
        let j = i + 1, n = 0;
        while (j < path.length && path.charCodeAt(j) >= 0x30 && path.charCodeAt(j) <= 0x39) {
          n = n * 10 + path.charCodeAt(j) - 0x30;
          j++;
        }
        if (j === i + 1 || path[j] !== "]" || !Number.isSafeInteger(n)) return undefined;
        segs.push(n);
        i = j + 1;
      }
    } else {
      return undefined;
    }
  }
  return segs;
}

function skipWs(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
    else return i;
  }
}

function isDigit(c: number): boolean { return c >= 0x30 && c <= 0x39; }

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** End of the string token starting at s[i] === '"', or -1 (RFC 8259 section 7). */
function skipString(s: string, i: number): number {
  i++;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      const e = s.charCodeAt(i + 1);
      if (e === 0x75 /* u */) {
        if (!(isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) && isHex(s.charCodeAt(i + 4)) && isHex(s.charCodeAt(i + 5)))) return -1;
        i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        i += 2;
      } else {
        return -1;
      }
    } else {
      i++;
    }
  }
  return -1;
}

/** End of the number token at s[i], or -1 (RFC 8259 section 6). */
function skipNumber(s: string, i: number): number {
  if (s.charCodeAt(i) === 0x2d) i++;
  if (s.charCodeAt(i) === 0x30) i++;
  else if (isDigit(s.charCodeAt(i))) while (isDigit(s.charCodeAt(i))) i++;
  else return -1;
  if (s.charCodeAt(i) === 0x2e) {
    i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (isDigit(s.charCodeAt(i))) i++;
  }
  if ((s.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (s.charCodeAt(i) === 0x2b || s.charCodeAt(i) === 0x2d) i++;
    if (!isDigit(s.charCodeAt(i))) return -1;
    while (isDigit(s.charCodeAt(i))) i++;
  }
  return i;
}

/** End of the value starting at s[i] (no leading whitespace), or -1 when malformed. */
function skipValue(s: string, i: number, depth: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
    if (depth >= MAX_DEPTH) return -1;
    const isObj = c === 0x7b, close = isObj ? 0x7d : 0x5d;
    i = skipWs(s, i + 1);
    if (s.charCodeAt(i) === close) return i + 1;
    for (;;) {
      if (isObj) {
        if (s.charCodeAt(i) !== 0x22) return -1;
        i = skipString(s, i);
        if (i < 0) return -1;
        i = skipWs(s, i);
        if (s.charCodeAt(i) !== 0x3a /* : */) return -1;
        i = skipWs(s, i + 1);
      }
      i = skipValue(s, i, depth + 1);
      if (i < 0) return -1;
      i = skipWs(s, i);
      const d = s.charCodeAt(i);
      if (d === close) return i + 1;
      if (d !== 0x2c /* , */) return -1;
      i = skipWs(s, i + 1);
    }
  }
  if (c === 0x2d || isDigit(c)) return skipNumber(s, i);
  if (s.startsWith("true", i)) return i + 4;
  if (s.startsWith("false", i)) return i + 5;
  if (s.startsWith("null", i)) return i + 4;
  return -1;
}

/** The member name of the string token s[a..b) (quotes included), decoded. */
function keyOf(s: string, a: number, b: number): string {
  const raw = s.slice(a + 1, b - 1);
  return raw.indexOf("\\") < 0 ? raw : (JSON.parse(s.slice(a, b)) as string);
}

function toText(json: JsonInput): string {
  if (typeof json === "string") return json;
  if (json instanceof Uint8Array) return Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString("utf8");
  return "";
}

/** [start, end) of the value at `path` in a valid document, or undefined. */
function locate(json: JsonInput, path: string): [string, number, number] | undefined {
  const segs = parsePath(path);
  if (!segs) return undefined;
  const s = toText(json);
  let i = skipWs(s, s.charCodeAt(0) === 0xfeff ? 1 : 0); // a BOM may be ignored (RFC 8259 section 8.1)
  const docEnd = skipValue(s, i, 0);
  if (docEnd < 0 || skipWs(s, docEnd) !== s.length) return undefined;
  // The document is valid from here on, so the walk below needs no error checks.
  for (const seg of segs) {
    const isObj = typeof seg === "string";
    if (s.charCodeAt(i) !== (isObj ? 0x7b : 0x5b)) return undefined;
    i = skipWs(s, i + 1);
    let index = 0, found = false;
    while (s.charCodeAt(i) !== (isObj ? 0x7d : 0x5d)) {
      if (isObj) {
        const keyEnd = skipString(s, i);
        const hit = keyOf(s, i, keyEnd) === seg;
        i = skipWs(s, skipWs(s, keyEnd) + 1);
        if (hit) { found = true; break; }
      } else if (index++ === seg) {
        found = true;
        break;
      }
      i = skipWs(s, skipValue(s, i, 0));
      if (s.charCodeAt(i) === 0x2c) i = skipWs(s, i + 1);
    }
    if (!found) return undefined;
  }
  return [s, i, skipValue(s, i, 0)];
}

/**
 * The raw JSON text of the value at `path` (`'"Alice"'`, `"42"`, `'{"a":1}'`), or
 * undefined when the path is absent or the document is not valid JSON.
 */
export function jsonGet(json: JsonInput, path: string): string | undefined {
  const at = locate(json, path);
  return at && at[0].slice(at[1], at[2]);
}

function numberAt(json: JsonInput, path: string): number | undefined {
  const at = locate(json, path);
  if (!at) return undefined;
  const c = at[0].charCodeAt(at[1]);
  return c === 0x2d || isDigit(c) ? Number(at[0].slice(at[1], at[2])) : undefined;
}

/** The number at `path` (undefined, or `def`, when absent or not a number). */
export function jsonGetNum(json: JsonInput, path: string): number | undefined;
export function jsonGetNum(json: JsonInput, path: string, def: number): number;
export function jsonGetNum(json: JsonInput, path: string, def?: number): number | undefined {
  return numberAt(json, path) ?? def;
}

/** The boolean at `path` (undefined, or `def`, when absent or not true/false). */
export function jsonGetBool(json: JsonInput, path: string): boolean | undefined;
export function jsonGetBool(json: JsonInput, path: string, def: boolean): boolean;
export function jsonGetBool(json: JsonInput, path: string, def?: boolean): boolean | undefined {
  const v = jsonGet(json, path);
  return v === "true" ? true : v === "false" ? false : def;
}

/**
 * The number at `path` as an integer, truncated toward zero like Mongoose's (long) cast
 * (`12.9` gives 12). Returns a `number`, never a bigint: when the integer is beyond
 * Number.MAX_SAFE_INTEGER (2^53 - 1) and so cannot be represented exactly, the result is
 * undefined (or `def`) rather than a silently wrong value; use jsonGetBigInt for those.
 */
export function jsonGetLong(json: JsonInput, path: string): number | undefined;
export function jsonGetLong(json: JsonInput, path: string, def: number): number;
export function jsonGetLong(json: JsonInput, path: string, def?: number): number | undefined {
  const n = numberAt(json, path);
  if (n === undefined) return def;
  const t = Math.trunc(n);
  return Number.isSafeInteger(t) ? t + 0 /* -0 -> 0 */ : def;
}

/** The integer at `path` as an exact bigint (`"id": 12345678901234567890`), or undefined. */
export function jsonGetBigInt(json: JsonInput, path: string): bigint | undefined {
  const at = locate(json, path);
  if (!at) return undefined;
  const raw = at[0].slice(at[1], at[2]);
  return /^-?\d+$/.test(raw) ? BigInt(raw) : undefined;
}

/** The string at `path` with its escapes decoded (undefined, or `def`, when absent or not a string). */
export function jsonGetStr(json: JsonInput, path: string): string | undefined;
export function jsonGetStr(json: JsonInput, path: string, def: string): string;
export function jsonGetStr(json: JsonInput, path: string, def?: string): string | undefined {
  const at = locate(json, path);
  if (!at || at[0].charCodeAt(at[1]) !== 0x22) return def;
  return keyOf(at[0], at[1], at[2]);
}

/** @internal The parts of a JSON document: object members or array elements as raw text. */
export interface JsonParts {
  kind: "object" | "array" | "scalar";
  /** Member names (objects only), decoded. */
  keys: string[];
  /** Raw text of each member value or array element. */
  values: string[];
}

/** @internal Splits a document into its top-level parts; undefined when it is not valid JSON. */
export function jsonParts(json: JsonInput): JsonParts | undefined {
  const s = toText(json);
  const start = skipWs(s, s.charCodeAt(0) === 0xfeff ? 1 : 0);
  const end = skipValue(s, start, 0);
  if (end < 0 || skipWs(s, end) !== s.length) return undefined;
  const c = s.charCodeAt(start);
  const parts: JsonParts = { kind: c === 0x7b ? "object" : c === 0x5b ? "array" : "scalar", keys: [], values: [] };
  if (parts.kind === "scalar") { parts.values.push(s.slice(start, end)); return parts; }
  let i = skipWs(s, start + 1);
  while (i < end - 1) {
    if (parts.kind === "object") {
      const keyEnd = skipString(s, i);
      parts.keys.push(keyOf(s, i, keyEnd));
      i = skipWs(s, skipWs(s, keyEnd) + 1);
    }
    const v = skipValue(s, i, 0);
    parts.values.push(s.slice(i, v));
    i = skipWs(s, v);
    if (s.charCodeAt(i) === 0x2c) i = skipWs(s, i + 1);
  }
  return parts;
}
