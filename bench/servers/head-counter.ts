// The ceiling server's only "parsing": how many request heads ended ("\r\n\r\n") in the
// bytes received so far, a head end split across reads included. The search is native
// (Buffer#indexOf); only a match cut by a read boundary is finished byte by byte.

const END = Buffer.from("\r\n\r\n");
const CR = 13, LF = 10;

/** The matching state after byte `b`, when `m` bytes of "\r\n\r\n" were matched before it. */
const step = (m: number, b: number): number => (b === (m === 0 || m === 2 ? CR : LF) ? m + 1 : b === CR ? 1 : 0);

export class HeadCounter {
  /** How many bytes of "\r\n\r\n" the bytes so far end with (0-3). */
  private matched = 0;

  /** Feeds one read; returns how many head ends it completed. */
  feed(d: Buffer): number {
    let n = 0;
    let i = 0;
    while (this.matched > 0 && i < d.length) {
      this.matched = step(this.matched, d[i++]!);
      if (this.matched === 4) { n++; this.matched = 0; }
    }
    if (this.matched === 0) {
      // The rest with a native search, then the partial match at the end (at most 3 bytes).
      let last = i;
      for (let at = d.indexOf(END, i); at >= 0; at = d.indexOf(END, last)) { n++; last = at + 4; }
      for (let j = Math.max(last, d.length - 3); j < d.length; j++) this.matched = step(this.matched, d[j]!);
    }
    return n;
  }
}
