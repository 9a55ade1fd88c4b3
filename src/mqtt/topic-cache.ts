// The last PUBLISH topic a connection sent, as bytes and as the string made of them. A
// client mostly publishes to the same few topics (a sensor to its own): when the next
// topic's bytes are the same, the string is reused instead of validating the UTF-8 and
// decoding it again (two native calls and a new string per message). A reused string
// also keeps the hash V8 computed for it, which the broker's route lookup needs.
import type { Reader } from "./wire.js";

const EMPTY = Buffer.alloc(0);

/** One connection's last topic name (a copy of its bytes: not a view of the receive buffer). */
export class TopicCache {
  bytes: Buffer = EMPTY;
  topic = "";
  /** The last readTopic() returned the cached string (known to be a valid topic name: no checks again). */
  hit = false;
}

/**
 * Reads the topic name at `r` (a length-prefixed UTF-8 string, 3.1.1 section 1.5.3): the
 * cached string when the bytes are the cached ones, else `r.str()` (validated, and any
 * error thrown as before). Only a topic that can name a PUBLISH (not empty, no wildcard:
 * section 4.7.1) is remembered; the caller checks every topic that is not a hit
 * (`cache.hit`: a hit is a topic it has checked before).
 */
export function readTopic(r: Reader, cache: TopicCache): string {
  const b = r.buf, at = r.pos, cb = cache.bytes, n = cb.length;
  if (n > 0 && at + 2 + n <= r.end && b[at] === n >> 8 && b[at + 1] === (n & 0xff)) {
    let i = 0;
    while (i < n && b[at + 2 + i] === cb[i]) i++;
    if (i === n) {
      r.pos = at + 2 + n;
      cache.hit = true;
      return cache.topic;
    }
  }
  cache.hit = false;
  const topic = r.str("topic");
  if (topic.length > 0 && topic.indexOf("+") < 0 && topic.indexOf("#") < 0) {
    cache.bytes = Buffer.from(b.subarray(at + 2, r.pos));
    cache.topic = topic;
  }
  return topic;
}
