// Fuzz target for URL encoding and parsing (src/util/url-encode.ts urlEncode/urlDecode,
// src/util/url.ts urlHost/urlPort/...), property-based with fast-check. Properties:
// urlEncode's output is unreserved characters and upper-case %XX only (RFC 3986 sections
// 2.1 and 2.3) and decodes back to the same text or bytes, in form mode or not; on any
// string urlDecode never throws, is undefined exactly when a "%" is not followed by two
// hex digits, and agrees with decodeURIComponent wherever that accepts the input; the
// lenient byte decoder never fails and keeps malformed escapes as written; a URL built from
// parts gives the parts back; on random strings the URL getters never throw, the port is
// -1 or 0..65535 and the host holds no "/", "?" or "#".
import * as fc from "fast-check";
import { urlDecode, urlDecodeBytes, urlEncode } from "../../src/util/url-encode.js";
import { urlHost, urlIsSsl, urlPass, urlPort, urlScheme, urlUri, urlUser } from "../../src/util/url.js";

export interface UrlFuzzStats { runs: number; decoded: number; malformed: number; urls: number }

const DEFAULT_PORTS: Record<string, number> = { http: 80, ws: 80, https: 443, wss: 443, mqtt: 1883, mqtts: 8883, tcp: 0, udp: 0 };

/** Strings that survive UTF-8 (no lone surrogate), from every plane. */
const text = fc.string({ unit: "grapheme", maxLength: 24, size: "max" });
/** Strings near the escape grammar: "%", hex digits either case, "+", UTF-8 lead bytes spelled out. */
const escapy = fc.array(fc.constantFrom("%", "%", "2", "B", "b", "f", "F", "g", "0", "+", "%C3", "%A9", "%E2%82", "%AC", "%FF", "%00", "é", " ", "a"), { maxLength: 16 })
  .map((a) => a.join(""));

function check(cond: boolean, what: () => string): void {
  if (!cond) throw new Error(what());
}

/** `iterations` fast-check runs from `seed`; throws (with the shrunk case) on a broken property. */
export function fuzzUrl(iterations: number, seed: number): UrlFuzzStats {
  const stats: UrlFuzzStats = { runs: 0, decoded: 0, malformed: 0, urls: 0 };
  const opts = { numRuns: iterations, seed: seed | 0 };

  // Encoding round-trips, text and bytes.
  fc.assert(fc.property(text, fc.uint8Array({ maxLength: 32, size: "max" }), (s, b) => {
    stats.runs++;
    const e = urlEncode(s);
    check(/^(?:[A-Za-z0-9\-._~]|%[0-9A-F]{2})*$/.test(e), () => `urlEncode(${JSON.stringify(s)}) = ${e}`);
    check(urlDecode(e) === s && urlDecode(e, false) === s, () => `urlDecode(urlEncode(${JSON.stringify(s)})) = ${JSON.stringify(urlDecode(e))}`);
    check(e === encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`),
      () => `urlEncode(${JSON.stringify(s)}) = ${e}, unlike encodeURIComponent`);
    const eb = urlEncode(b), back = urlDecodeBytes(eb);
    check(back !== undefined && Buffer.compare(back, b) === 0, () => `bytes ${Buffer.from(b).toString("hex")} do not round-trip through ${eb}`);
  }), opts);

  // Decoding arbitrary strings.
  fc.assert(fc.property(fc.oneof(escapy, text, fc.string({ unit: "binary", maxLength: 16, size: "max" })), (s) => {
    stats.runs++;
    const malformed = /%(?![0-9a-fA-F]{2})/.test(s);
    for (const form of [true, false]) {
      let d: string | undefined, lax: Buffer | undefined;
      try {
        d = urlDecode(s, form);
        lax = urlDecodeBytes(s, form, false);
      } catch (e) {
        throw new Error(`urlDecode(${JSON.stringify(s)}, ${form}) threw`, { cause: e });
      }
      check((d === undefined) === malformed, () => `urlDecode(${JSON.stringify(s)}, ${form}) = ${JSON.stringify(d)}`);
      check(lax !== undefined && lax.length <= Buffer.byteLength(s), () => `lenient urlDecodeBytes(${JSON.stringify(s)}) = ${String(lax)}`);
      // Malformed escapes are kept as written, so lenient decoding of "%" + rest starts with "%".
      if (malformed && s.startsWith("%") && !/^%[0-9a-fA-F]{2}/.test(s)) check(lax![0] === 0x25, () => `lenient decoding of ${JSON.stringify(s)} lost the "%"`);
      let ref: string | undefined;
      try { ref = decodeURIComponent(form ? s.replaceAll("+", " ") : s); } catch { ref = undefined; }
      // decodeURIComponent also refuses escapes that are not UTF-8; where it accepts, both agree.
      if (ref !== undefined && Buffer.from(s).toString() === s) check(d === ref, () => `urlDecode(${JSON.stringify(s)}, ${form}) = ${JSON.stringify(d)}, decodeURIComponent says ${JSON.stringify(ref)}`);
    }
    if (malformed) stats.malformed++; else stats.decoded++;
  }), opts);

  // URLs built from parts.
  const label = fc.string({ unit: fc.constantFrom(..."abcxyz019-"), minLength: 1, maxLength: 10 });
  const host = fc.oneof(
    fc.array(label, { minLength: 1, maxLength: 4 }).map((a) => a.join(".")),
    fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((a) => a.join(".")),
    fc.constantFrom("::1", "fe80::1", "2001:db8::8:800:200c:417a", "::"),
  );
  fc.assert(fc.property(fc.constantFrom(...Object.keys(DEFAULT_PORTS), "HTTP", "Wss", ""), fc.option(fc.tuple(text, fc.option(text)), { nil: undefined }),
    host, fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }), fc.constantFrom("", "/", "/a/b?x=1#f", "?q", "#frag", "/%20"),
    (scheme, cred, h, port, path) => {
      stats.runs++;
      const bracketed = h.includes(":") ? `[${h}]` : h;
      const auth = cred === undefined ? "" : `${urlEncode(cred[0])}${cred[1] === null ? "" : `:${urlEncode(cred[1])}`}@`;
      const url = `${scheme === "" ? "" : `${scheme}://`}${auth}${bracketed}${port === undefined ? "" : `:${port}`}${path}`;
      const lower = scheme.toLowerCase();
      check(urlScheme(url) === lower, () => `urlScheme(${url}) = ${urlScheme(url)}`);
      check(urlHost(url) === h, () => `urlHost(${url}) = ${urlHost(url)}`);
      check(urlPort(url) === (port ?? DEFAULT_PORTS[lower] ?? 0), () => `urlPort(${url}) = ${urlPort(url)}`);
      check(urlUser(url) === (cred?.[0] ?? ""), () => `urlUser(${url}) = ${JSON.stringify(urlUser(url))}`);
      check(urlPass(url) === (cred?.[1] ?? ""), () => `urlPass(${url}) = ${JSON.stringify(urlPass(url))}`);
      const wantUri = path === "" ? "/" : path.startsWith("/") ? path : `/${path}`;
      check(urlUri(url) === wantUri, () => `urlUri(${url}) = ${urlUri(url)}`);
      check(urlIsSsl(url) === ["https", "wss", "mqtts"].includes(lower), () => `urlIsSsl(${url})`);
      stats.urls++;
    }), opts);

  // Random strings with URL punctuation: the getters never throw and stay in range.
  const urlish = fc.array(fc.constantFrom("http", "://", ":", "@", "[", "]", "/", "?", "#", "%", "%41", "%zz", "8080", "99999", "-1", "host", "::1", "é", " "), { maxLength: 12 })
    .map((a) => a.join(""));
  fc.assert(fc.property(fc.oneof(urlish, fc.string({ unit: "binary", maxLength: 24, size: "max" })), (u) => {
    stats.runs++;
    let h: string, p: number;
    try {
      h = urlHost(u); p = urlPort(u);
      urlUser(u); urlPass(u); urlUri(u); urlScheme(u); urlIsSsl(u);
    } catch (e) {
      throw new Error(`a URL getter threw on ${JSON.stringify(u)}`, { cause: e });
    }
    check(p === -1 || (Number.isInteger(p) && p >= 0 && p <= 65535), () => `urlPort(${JSON.stringify(u)}) = ${p}`);
    check(!/[/?#]/.test(h), () => `urlHost(${JSON.stringify(u)}) = ${JSON.stringify(h)}`);
    check(urlUri(u).startsWith("/"), () => `urlUri(${JSON.stringify(u)}) = ${JSON.stringify(urlUri(u))}`);
  }), opts);
  return stats;
}
