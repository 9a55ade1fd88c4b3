// The core's event numbers, in Mongoose's order. Protocol layers add their own
// (src/http/events.ts, src/ws/events.ts, ...); src/events.ts gathers them all with the
// handler type that narrows `data` by `ev`.

/** Something failed; `data` is the message (`conn.lastError` is the {@link MgError} behind it). `MG_EV_CLOSE` follows. */
export const MG_EV_ERROR = 0 as const;
/** The connection was created (first event of every connection, before any I/O). */
export const MG_EV_OPEN = 1 as const;
/** Sent to every connection once per poll interval; `data` is the monotonic time in milliseconds. */
export const MG_EV_POLL = 2 as const;
/** The host name of a `connect()`/`resolve()` URL was resolved; `conn.remoteAddr` is set. */
export const MG_EV_RESOLVE = 3 as const;
/** An outgoing connection is established; `conn.localAddr` is set. */
export const MG_EV_CONNECT = 4 as const;
/** A listener accepted this connection (a new connection, with the listener's handler). */
export const MG_EV_ACCEPT = 5 as const;
/** The TLS handshake completed. */
export const MG_EV_TLS_HS = 6 as const;
/** Bytes arrived and were appended to `conn.recv`; `data` is how many (0 for an empty UDP datagram). */
export const MG_EV_READ = 7 as const;
/** Queued bytes were written to the socket; `data` is how many. */
export const MG_EV_WRITE = 8 as const;
/** The connection is closed: the last event it gets. */
export const MG_EV_CLOSE = 9 as const;
// 10..18 belong to the protocol layers.
/** `manager.wakeup(connId, data)` or a worker's `wakeup(handle, ...)` reached this connection; `data` is a `Buffer`. */
export const MG_EV_WAKEUP = 19 as const;
/** The first user event: user events are `MG_EV_USER + n`, delivered by `conn.call(ev, data)`. */
export const MG_EV_USER = 20 as const;
/** The last user event number (`MG_EV_USER + 63`). */
export const MG_EV_USER_LAST = 83 as const;
