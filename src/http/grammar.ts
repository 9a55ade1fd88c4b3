// Character classes of the HTTP grammar (RFC 9110 section 5.6, RFC 9112), shared by the
// head parser and the chunked decoder. Lookup tables indexed by byte: no regexes.

/** tchar (RFC 9110 section 5.6.2): token = 1*tchar. */
export const TOKEN = new Uint8Array(256);
for (const ch of "!#$%&'*+-.^_`|~") TOKEN[ch.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;

/** field-vchar = VCHAR / obs-text (RFC 9110 section 5.5): every byte but CTLs, SP and DEL. */
export const FIELD_VCHAR = new Uint8Array(256);
for (let c = 0x21; c <= 0xff; c++) FIELD_VCHAR[c] = 1;
FIELD_VCHAR[0x7f] = 0;

/** SP or HTAB (OWS, BWS, RWS). */
export function isSpTab(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Case-insensitive compare of b[a..a+lower.length) with a lower-case ASCII name. */
export function lowerEquals(b: Uint8Array, a: number, lower: string): boolean {
  for (let k = 0; k < lower.length; k++) {
    if ((b[a + k]! | 0x20) !== lower.charCodeAt(k)) return false;
  }
  return true;
}
