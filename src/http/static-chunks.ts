// Read buffers for file bodies, reused instead of allocated for every chunk.
//
// A 256 KiB chunk is an ArrayBuffer outside V8's heap. Allocated afresh for every read,
// the chunks pile up as external memory between young-generation collections (a file
// server allocates little else) until V8 asks for a full collection of the old space:
// serving 1 MiB files, about 25 full collections in 4 s against 2 when the chunks are
// reused. A chunk handed to a connection may be reused only once its socket has written
// it; the moment that is known for sure is when the connection's whole send side is
// empty (`sendLen === 0`: nothing queued by us, nothing left in the socket), and then
// every chunk the connection was lent is free again.
import type { CoreConnection as Connection } from "../core/connection.js";

/** Read size for larger bodies. */
export const CHUNK_SIZE = 256 * 1024;
/** Free chunks kept for reuse at most (4 MiB): a burst does not stay resident. */
const POOL_MAX = 16;
/** Chunks lent to one connection at most, tracked for reclaiming (the rest become garbage). */
const LENT_MAX = 8;

const pool: Buffer[] = [];
const stats = { allocated: 0, reused: 0 };
const lent = new WeakMap<Connection, Buffer[]>();

/**
 * A buffer of CHUNK_SIZE bytes to read into, at offset 0 of its own ArrayBuffer (so a
 * view of its start can be lent back whole): a free one if any. Reclaims `c`'s chunks
 * first when it can.
 */
export function takeChunk(c: Connection): Buffer {
  reclaimChunks(c);
  const free = pool.pop();
  if (free !== undefined) { stats.reused++; return free; }
  stats.allocated++;
  return Buffer.allocUnsafeSlow(CHUNK_SIZE);
}

/** Notes that `buf` (a chunk from takeChunk) was queued on `c`: free again once `c` has written everything. */
export function lendChunk(c: Connection, buf: Buffer): void {
  let list = lent.get(c);
  if (list === undefined) { list = []; lent.set(c, list); }
  if (list.length < LENT_MAX) list.push(buf);
}

/** Gives `c`'s lent chunks back to the pool when its send side is empty. */
export function reclaimChunks(c: Connection): void {
  const list = lent.get(c);
  if (list === undefined || list.length === 0) return;
  // A closed connection's socket may still hold a chunk: those are left to the GC.
  if (!c.canSend || c.sendLen !== 0) return;
  for (let i = 0; i < list.length && pool.length < POOL_MAX; i++) pool.push(list[i]!);
  list.length = 0;
}

/** @internal For tests: chunks allocated and reused so far. */
export function chunkStats(): { allocated: number; reused: number } { return { ...stats }; }
