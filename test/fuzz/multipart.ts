// Fuzz target for multipart/form-data (src/http/multipart.ts httpParseMultipart),
// property-based with fast-check, from valid bodies built by an independent writer of
// RFC 2046 section 5.1 / RFC 7578. Properties: a valid body round-trips (every part's
// name, filename, headers, content type and bytes, then the close delimiter ends the
// walk); the parse does not depend on where the body sits in memory or whether it is
// given as a Buffer or a Uint8Array; mutated bodies never throw, and the walk makes
// progress on every call, stays inside the body, and takes at most one call per
// delimiter length of input.
import * as fc from "fast-check";
import { httpParseMultipart, type MultipartPart } from "../../src/http/multipart.js";
import { mutate, Rng } from "./mutate.js";

export interface MultipartFuzzStats { runs: number; parts: number; mutatedParts: number }

// Lengths use size "max": fast-check's default keeps them near 10, far from 70 or a long body.
// RFC 2046 section 5.1.1: bchars := bcharsnospace / " "; the last one is not a space.
const BCHARS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=?";
const boundary = fc.tuple(fc.string({ unit: fc.constantFrom(...(BCHARS + " ")), maxLength: 69, size: "max" }), fc.constantFrom(...BCHARS))
  .map(([a, b]) => a + b);

// Field values: printable text with the characters a quoted-string must escape, and UTF-8.
const fieldText = fc.string({ unit: fc.constantFrom("a", "B", "7", " ", ";", "=", '"', "\\", ".", "é", "€", "😀", ":"), maxLength: 16 });
const headerName = fc.string({ unit: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzX-_0"), minLength: 1, maxLength: 12 })
  .filter((h) => !["content-disposition", "content-type"].includes(h.toLowerCase()));
const headerValue = fc.string({ unit: fc.constantFrom("v", "a", "l", "1", ":", ";", "=", "/", "é", " "), maxLength: 20 }).map((v) => v.trim());
// Bodies from bytes that build near-delimiters: CR, LF, "-" and the boundary's own characters.
function bodyBytes(b: string): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength: 64, size: "max" }),
    fc.array(fc.constantFrom(0x0d, 0x0a, 0x2d, 0x2d, 0x00, 0xff, ...Buffer.from(b.slice(0, 8))), { maxLength: 64, size: "max" }).map((a) => Uint8Array.from(a)),
    // A prefix of the delimiter, or all of it with one byte changed.
    fc.tuple(fc.nat(b.length + 3), fc.uint8Array({ maxLength: 4 })).map(([n, tail]) => Uint8Array.from([...Buffer.from(`\r\n--${b}`.slice(0, n + 1)), ...tail])),
  );
}

interface PartSpec {
  name: string; filename: string | undefined; filenameStar: string | undefined; contentType: string | undefined; extra: [string, string][]; body: Uint8Array;
}
function partSpec(b: string): fc.Arbitrary<PartSpec> {
  return fc.record({
    name: fieldText,
    filename: fc.option(fieldText, { nil: undefined }),
    // RFC 6266 section 4.3 / RFC 8187: filename*=UTF-8''percent-encoded, preferred over filename.
    filenameStar: fc.option(fieldText, { nil: undefined }),
    contentType: fc.option(fc.constantFrom("text/plain", "application/octet-stream", "image/png; x=1"), { nil: undefined }),
    extra: fc.array(fc.tuple(headerName, headerValue), { maxLength: 2 }),
    body: bodyBytes(b),
  });
}

const quote = (v: string): string => `"${v.replace(/[\\"]/g, "\\$&")}"`;
// RFC 8187 section 3.2.1: attr-char stays, every other byte is %XX.
const extValue = (v: string): string => `UTF-8''${[...Buffer.from(v)].map((c) => (/[A-Za-z0-9!#$&+.^_`|~-]/.test(String.fromCharCode(c)) ? String.fromCharCode(c) : `%${c.toString(16).toUpperCase().padStart(2, "0")}`)).join("")}`;
const disposition = (p: PartSpec): string => `form-data; name=${quote(p.name)}` +
  (p.filename === undefined ? "" : `; filename=${quote(p.filename)}`) + (p.filenameStar === undefined ? "" : `; filename*=${extValue(p.filenameStar)}`);

/** The body an RFC 7578 writer would send, with optional transport padding after delimiters. */
function writeBody(b: string, parts: PartSpec[], pad: string): Buffer {
  const chunks: Buffer[] = [];
  for (const [k, p] of parts.entries()) {
    let head = `${k === 0 ? "" : "\r\n"}--${b}${pad}\r\n`;
    head += `Content-Disposition: ${disposition(p)}\r\n`;
    if (p.contentType !== undefined) head += `Content-Type: ${p.contentType}\r\n`;
    for (const [h, v] of p.extra) head += `${h}: ${v}\r\n`;
    chunks.push(Buffer.from(head + "\r\n"), Buffer.from(p.body));
  }
  chunks.push(Buffer.from(`${parts.length === 0 ? "" : "\r\n"}--${b}--\r\n`));
  return Buffer.concat(chunks);
}

/** Every part of `body` from offset 0, checking the walk's invariants on the way. */
function walk(body: Uint8Array, label: string): MultipartPart[] {
  const out: MultipartPart[] = [];
  let ofs = 0;
  // A part takes at least "--" + one boundary character + CRLF + an empty line + CRLF.
  const maxCalls = Math.floor(body.length / 7) + 1;
  for (let calls = 1; ; calls++) {
    if (calls > maxCalls) throw new Error(`${label}: more than ${maxCalls} calls for ${body.length} bytes`);
    let next: number, part: MultipartPart | undefined;
    try {
      [next, part] = httpParseMultipart(body, ofs);
    } catch (e) {
      throw new Error(`${label}: httpParseMultipart threw at offset ${ofs}`, { cause: e });
    }
    if (part === undefined) {
      if (next !== ofs) throw new Error(`${label}: no part, but the offset moved from ${ofs} to ${next}`);
      return out;
    }
    if (!(next > ofs && next <= body.length)) throw new Error(`${label}: offset ${ofs} -> ${next} (length ${body.length})`);
    const start = part.body.byteOffset - body.byteOffset;
    if (part.body.buffer !== body.buffer || start < ofs || start + part.body.length > next) throw new Error(`${label}: part body outside its place`);
    out.push(part);
    ofs = next;
  }
}

function samePart(a: MultipartPart, b: MultipartPart): boolean {
  return a.name === b.name && a.filename === b.filename && a.contentType === b.contentType &&
    JSON.stringify(a.headers) === JSON.stringify(b.headers) && Buffer.compare(a.body, b.body) === 0;
}

/** `iterations` fast-check runs from `seed`; throws (with the shrunk case) on a broken property. */
export function fuzzMultipart(iterations: number, seed: number): MultipartFuzzStats {
  const stats: MultipartFuzzStats = { runs: 0, parts: 0, mutatedParts: 0 };
  // A body must not contain its own delimiter (RFC 2046 section 5.1.1: the writer picks a
  // boundary that way), so any "\r\n--boundary" inside one gets its first "-" changed. The
  // parser searches from the body's first byte, and the delimiter's only CR is its first
  // byte, so an occurrence either lies inside the body or starts where the body ends.
  const body = boundary.chain((b) => fc.tuple(fc.constant(b), fc.array(partSpec(b), { maxLength: 4 }), fc.constantFrom("", " ", "\t "))).map(([b, parts, pad]) => {
    const delim = Buffer.from(`\r\n--${b}`);
    const clean = parts.map((p) => {
      const body = Buffer.from(p.body); // a copy: generated values are not changed in place
      for (let k = body.indexOf(delim); k >= 0; k = body.indexOf(delim, k)) body[k + 2] = 0x78;
      return { ...p, body };
    });
    return [b, clean, pad] as const;
  });

  fc.assert(fc.property(body, fc.nat(20), fc.integer(), ([b, parts, pad], shift, mseed) => {
    stats.runs++;
    const raw = writeBody(b, parts, pad);
    const label = `boundary ${JSON.stringify(b)}, ${parts.length} parts`;
    const got = walk(raw, label);
    if (got.length !== parts.length) throw new Error(`${label}: ${got.length} parts parsed`);
    for (const [k, p] of parts.entries()) {
      const g = got[k]!;
      const headers: [string, string][] = [
        ["Content-Disposition", disposition(p)],
        ...(p.contentType === undefined ? [] : [["Content-Type", p.contentType] as [string, string]]), ...p.extra,
      ];
      const want: MultipartPart = { name: p.name, filename: p.filenameStar ?? p.filename ?? "", contentType: p.contentType ?? "", headers, body: Buffer.from(p.body) };
      if (!samePart(g, want)) throw new Error(`${label}: part ${k} is ${JSON.stringify({ ...g, body: g.body.toString("hex") })}, wrote ${JSON.stringify({ ...want, body: want.body.toString("hex") })}`);
    }
    stats.parts += got.length;
    // The same bytes elsewhere in memory, as a plain Uint8Array: the same parts.
    const host = new Uint8Array(shift + raw.length + 3);
    host.set(raw, shift);
    const moved = walk(host.subarray(shift, shift + raw.length), `${label}, moved by ${shift}`);
    if (moved.length !== got.length || moved.some((m, k) => !samePart(m, got[k]!))) throw new Error(`${label}: the parse depends on where the body is`);
    // Mutations: anything may come out, but by the walk's rules.
    const r = new Rng(mseed >>> 0);
    for (let m = 0; m < 2; m++) stats.mutatedParts += walk(mutate(r, raw, 4), `${label}, mutated`).length;
  }), { numRuns: iterations, seed: seed | 0 });
  return stats;
}
