// The ceiling of http-hello: what node:net itself allows on one core. A raw TCP server
// that does not parse HTTP at all: it counts the ends of request heads ("\r\n\r\n") in
// what it receives and writes that many copies of one fixed response, in one write per
// read. Nothing real can be faster through Node's public socket API, so ours / this is
// how close the whole HTTP layer gets to zero cost. Not a server: it would answer garbage
// too, and it ignores bodies.
import * as net from "node:net";
import { announce } from "../lib/child.js";
import { HeadCounter } from "./head-counter.js";

const RESPONSE = Buffer.from("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!", "latin1");
// Pre-built runs of 1..MAX responses, so a read with k requests is answered by one write of a slice.
const MAX = 256;
const RUN = Buffer.concat(Array.from({ length: MAX }, () => RESPONSE));

const server = net.createServer({ noDelay: true }, (sock) => {
  const heads = new HeadCounter();
  sock.on("data", (d: Buffer) => {
    let n = heads.feed(d);
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
