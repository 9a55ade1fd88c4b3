// Incremental UTF-8 validation (RFC 3629 section 4, Unicode table 3-7) for text
// messages that arrive in pieces: a small state machine whose state survives the end of
// one piece, so a fragment can be checked as soon as it arrives (RFC 6455 section 8.1:
// fail at the first invalid data, not when the message ends).
import { isUtf8 } from "node:buffer";

/** State: at a character boundary (also the start state). */
export const UTF8_ACCEPT = 0;
/** State: the bytes seen so far are not UTF-8; it never leaves this state. */
export const UTF8_REJECT = 8;

// States 1..3: that many continuation bytes (80..BF) still due. States 4..7: the byte
// after a lead whose second byte has a narrower range (no overlongs, no surrogates, no
// code points past U+10FFFF): 4 after E0 (A0..BF), 5 after ED (80..9F), 6 after F0
// (90..BF), 7 after F4 (80..8F).

/** Runs the state machine over `b[from..to)`, one byte at a time. */
export function utf8Scan(state: number, b: Uint8Array, from: number, to: number): number {
  let s = state;
  for (let i = from; i < to; i++) {
    const x = b[i]!;
    switch (s) {
      case 0:
        if (x < 0x80) continue;
        if (x < 0xc2) return UTF8_REJECT; // a continuation byte, or C0/C1 (always overlong)
        if (x < 0xe0) s = 1;
        else if (x === 0xe0) s = 4;
        else if (x === 0xed) s = 5;
        else if (x < 0xf0) s = 2;
        else if (x === 0xf0) s = 6;
        else if (x < 0xf4) s = 3;
        else if (x === 0xf4) s = 7;
        else return UTF8_REJECT; // F5..FF never appear
        continue;
      case 1: case 2: case 3:
        if ((x & 0xc0) !== 0x80) return UTF8_REJECT;
        s--;
        continue;
      case 4: if (x < 0xa0 || x > 0xbf) return UTF8_REJECT; s = 1; continue;
      case 5: if (x < 0x80 || x > 0x9f) return UTF8_REJECT; s = 1; continue;
      case 6: if (x < 0x90 || x > 0xbf) return UTF8_REJECT; s = 2; continue;
      case 7: if (x < 0x80 || x > 0x8f) return UTF8_REJECT; s = 2; continue;
      default: return UTF8_REJECT;
    }
  }
  return s;
}

/**
 * Validates the next piece `b[from..to)` of a text, starting in `state`; returns the
 * state after it (UTF8_ACCEPT at a character boundary, UTF8_REJECT when invalid).
 * Long pieces go to Node's native isUtf8 for everything but a sequence left open by the
 * previous piece and one cut by the end of this piece, which the state machine handles.
 */
export function utf8Feed(state: number, b: Uint8Array, from: number, to: number): number {
  let s = state, i = from;
  // Finish a sequence begun in the previous piece (at most 3 bytes).
  while (s !== UTF8_ACCEPT && i < to) {
    s = utf8Scan(s, b, i, i + 1);
    i++;
    if (s === UTF8_REJECT) return s;
  }
  if (to - i < 64) return utf8Scan(s, b, i, to);
  // A sequence may be cut by the end of the piece: it starts at a lead byte (C0..FF)
  // within the last 3 bytes that is followed only by continuation bytes.
  let cut = to;
  for (let k = to - 1; k >= to - 3; k--) {
    const x = b[k]!;
    if (x >= 0xc0) { cut = k; break; }
    if (x < 0x80) break;
  }
  if (!isUtf8(b.subarray(i, cut))) return UTF8_REJECT;
  return utf8Scan(UTF8_ACCEPT, b, cut, to);
}
