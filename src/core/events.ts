// The core's event numbers, in Mongoose's order. Protocol layers add their own
// (src/http/events.ts, src/ws/events.ts, ...); src/events.ts gathers them all with the
// handler type that narrows `data` by `ev`.

export const MG_EV_ERROR = 0 as const;
export const MG_EV_OPEN = 1 as const;
export const MG_EV_POLL = 2 as const;
export const MG_EV_RESOLVE = 3 as const;
export const MG_EV_CONNECT = 4 as const;
export const MG_EV_ACCEPT = 5 as const;
export const MG_EV_TLS_HS = 6 as const;
export const MG_EV_READ = 7 as const;
export const MG_EV_WRITE = 8 as const;
export const MG_EV_CLOSE = 9 as const;
// 10..18 belong to the protocol layers.
export const MG_EV_WAKEUP = 19 as const;
export const MG_EV_USER = 20 as const;
/** The last user event number (`MG_EV_USER + 63`). */
export const MG_EV_USER_LAST = 83 as const;
