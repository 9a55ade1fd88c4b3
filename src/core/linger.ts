// A lingering close (Apache's lingering_close, nginx's lingering_close): a protocol that
// refuses a peer mid-stream (MQTT 5 DISCONNECT 0x93 while the client still sends) ends its
// write side and then keeps reading, discarding, for a short bounded time. Destroying the
// socket at once would answer the peer's next bytes with a reset, and a reset makes the
// peer's kernel drop what it had not read yet: our last packet, the one saying why.
import type * as net from "node:net";

/** How long, and how many discarded bytes, a lingering socket waits for the peer's FIN. */
export const LINGER_MS = 2000;
export const LINGER_BYTES = 256 * 1024;

/** Called once our FIN is out: read and drop until the peer ends, or a bound is reached. */
export function lingerThenDestroy(sock: net.Socket): void {
  if (sock.destroyed) return;
  if (sock.readableEnded) { sock.destroy(); return; }
  let bytes = 0;
  const done = (): void => { clearTimeout(timer); sock.destroy(); };
  const timer = setTimeout(done, LINGER_MS);
  timer.unref();
  // The connection's own reader is replaced: what comes now is not parsed, only counted.
  sock.removeAllListeners("data");
  sock.on("data", (chunk: Buffer) => { bytes += chunk.length; if (bytes > LINGER_BYTES) done(); });
  sock.once("end", done);
  sock.once("close", () => clearTimeout(timer));
  sock.resume();
}
