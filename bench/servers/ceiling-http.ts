// The ceiling of http-hello: what node:net itself allows on one core. A raw TCP server
// that does not parse HTTP at all: it counts the ends of request heads ("\r\n\r\n") in
// what it receives and writes that many copies of one fixed response, in one write per
// read. Nothing real can be faster through Node's public socket API, so ours / this is
// how close the whole HTTP layer gets to zero cost. Not a server: it would answer garbage
// too, and it ignores bodies.
import * as net from "node:net";
import { announce } from "../lib/child.js";

const RESPONSE = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!", "latin1");
// Pre-built runs of 1..MAX responses, so a read with k requests is answered by one write of a slice.
const MAX = 256;
const RUN = Buffer.concat(Array.from({ length: MAX }, () => RESPONSE));
const END = Buffer.from("\r\n\r\n");
const CR = 13, LF = 10;

/** The matching state after byte `b`, when `m` bytes of "\r\n\r\n" were matched before it. */
const step = (m: number, b: number): number => (b === (m === 0 || m === 2 ? CR : LF) ? m + 1 : b === CR ? 1 : 0);

const server = net.createServer({ noDelay: true }, (sock) => {
  // How many bytes of "\r\n\r\n" are matched at the end of what came so far (heads split across reads).
  let matched = 0;
  sock.on("data", (d: Buffer) => {
    let n = 0;
    let i = 0;
    // A head end split across reads: finish (or drop) the match byte by byte.
    while (matched > 0 && i < d.length) {
      matched = step(matched, d[i++]!);
      if (matched === 4) { n++; matched = 0; }
    }
    if (matched === 0) {
      // The rest with a native search, then the partial match at the end (at most 3 bytes).
      let last = i;
      for (let at = d.indexOf(END, i); at >= 0; at = d.indexOf(END, last)) { n++; last = at + 4; }
      for (let j = Math.max(last, d.length - 3); j < d.length; j++) matched = step(matched, d[j]!);
    }
    while (n > 0) {
      const k = Math.min(n, MAX);
      sock.write(RUN.subarray(0, k * RESPONSE.length));
      n -= k;
    }
  });
  sock.on("error", () => sock.destroy());
});
server.listen(0, "127.0.0.1", () => announce((server.address() as net.AddressInfo).port));
process.on("SIGTERM", () => { server.close(); process.exit(0); });
