// Event numbers, in Mongoose's order, and the handler type that narrows `data` by `ev`.
import type { Connection } from "./connection.js";
import type { HttpMessage } from "../http/message.js";
import type { WsMessage } from "../ws/message.js";
import type { MqttMessage } from "../mqtt/message.js";

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
export const MG_EV_HTTP_HDRS = 10 as const;
export const MG_EV_HTTP_MSG = 11 as const;
export const MG_EV_WS_OPEN = 12 as const;
export const MG_EV_WS_MSG = 13 as const;
export const MG_EV_WS_CTL = 14 as const;
export const MG_EV_MQTT_CMD = 15 as const;
export const MG_EV_MQTT_MSG = 16 as const;
export const MG_EV_MQTT_OPEN = 17 as const;
export const MG_EV_SNTP_TIME = 18 as const;
export const MG_EV_WAKEUP = 19 as const;
export const MG_EV_USER = 20 as const;

const NAMES = [
  "MG_EV_ERROR", "MG_EV_OPEN", "MG_EV_POLL", "MG_EV_RESOLVE", "MG_EV_CONNECT",
  "MG_EV_ACCEPT", "MG_EV_TLS_HS", "MG_EV_READ", "MG_EV_WRITE", "MG_EV_CLOSE",
  "MG_EV_HTTP_HDRS", "MG_EV_HTTP_MSG", "MG_EV_WS_OPEN", "MG_EV_WS_MSG", "MG_EV_WS_CTL",
  "MG_EV_MQTT_CMD", "MG_EV_MQTT_MSG", "MG_EV_MQTT_OPEN", "MG_EV_SNTP_TIME", "MG_EV_WAKEUP",
] as const;

/** `eventName(11)` is `"MG_EV_HTTP_MSG"`, `eventName(23)` is `"MG_EV_USER+3"`, `eventName(99)` is `"MG_EV_UNKNOWN(99)"`. */
export function eventName(ev: number): string {
  if (Number.isInteger(ev) && ev >= 0) {
    if (ev < NAMES.length) return NAMES[ev]!;
    if (ev === MG_EV_USER) return "MG_EV_USER";
    if (ev > MG_EV_USER && ev <= MG_EV_USER_LAST) return `MG_EV_USER+${ev - MG_EV_USER}`;
  }
  return `MG_EV_UNKNOWN(${ev})`;
}

// User events are typed as a union of number literals (MG_EV_USER .. MG_EV_USER+63)
// rather than `number`: a plain `number` member would swallow every narrowing, since
// `ev === 11` could then also mean a user event. Numbers past that range are unknown
// events: eventName(99) is "MG_EV_UNKNOWN(99)".
type Range<N extends number, Acc extends unknown[] = [], Out = never> =
  Acc["length"] extends N ? Out : Range<N, [...Acc, unknown], Out | Acc["length"]>;
/** The event numbers available to applications: `MG_EV_USER` to `MG_EV_USER + 63`. */
export type UserEvent = Exclude<Range<84>, Range<20>>;
/** The last user event number (`MG_EV_USER + 63`). */
export const MG_EV_USER_LAST = 83 as const;

type NoData = typeof MG_EV_OPEN | typeof MG_EV_RESOLVE | typeof MG_EV_CONNECT |
  typeof MG_EV_ACCEPT | typeof MG_EV_TLS_HS | typeof MG_EV_CLOSE;

/** Every `[conn, ev, data]` a handler can receive; checking `ev` narrows `data`. */
export type EventArgs =
  | [conn: Connection, ev: typeof MG_EV_ERROR, data: string]
  | [conn: Connection, ev: NoData, data: undefined]
  | [conn: Connection, ev: typeof MG_EV_POLL, data: number]
  | [conn: Connection, ev: typeof MG_EV_READ | typeof MG_EV_WRITE, data: number]
  | [conn: Connection, ev: typeof MG_EV_HTTP_HDRS | typeof MG_EV_HTTP_MSG | typeof MG_EV_WS_OPEN, data: HttpMessage]
  | [conn: Connection, ev: typeof MG_EV_WS_MSG | typeof MG_EV_WS_CTL, data: WsMessage]
  | [conn: Connection, ev: typeof MG_EV_MQTT_CMD | typeof MG_EV_MQTT_MSG, data: MqttMessage]
  | [conn: Connection, ev: typeof MG_EV_MQTT_OPEN, data: number]
  | [conn: Connection, ev: typeof MG_EV_SNTP_TIME, data: number]
  | [conn: Connection, ev: typeof MG_EV_WAKEUP, data: Buffer]
  | [conn: Connection, ev: UserEvent, data: unknown];

/** One handler receives every event of a connection. Declare all three parameters. */
export type EventHandler = (...args: EventArgs) => void;

/** The event number type (built-in or user). */
export type EventNumber = EventArgs[1];
