// Every event number (the core's and each layer's), eventName(), and the handler type
// that narrows `data` by `ev`.
import {
  MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL, MG_EV_RESOLVE, MG_EV_CONNECT, MG_EV_ACCEPT, MG_EV_TLS_HS,
  MG_EV_READ, MG_EV_WRITE, MG_EV_CLOSE, MG_EV_WAKEUP, MG_EV_USER, MG_EV_USER_LAST,
} from "./core/events.js";
import { MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG } from "./http/events.js";
import { MG_EV_WS_OPEN, MG_EV_WS_MSG, MG_EV_WS_CTL } from "./ws/events.js";
import { MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN } from "./mqtt/events.js";
import { MG_EV_SNTP_TIME } from "./sntp/events.js";

export {
  MG_EV_ERROR, MG_EV_OPEN, MG_EV_POLL, MG_EV_RESOLVE, MG_EV_CONNECT, MG_EV_ACCEPT, MG_EV_TLS_HS,
  MG_EV_READ, MG_EV_WRITE, MG_EV_CLOSE, MG_EV_WAKEUP, MG_EV_USER, MG_EV_USER_LAST,
  MG_EV_HTTP_HDRS, MG_EV_HTTP_MSG, MG_EV_WS_OPEN, MG_EV_WS_MSG, MG_EV_WS_CTL,
  MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN, MG_EV_SNTP_TIME,
};

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

export type { EventArgs, EventHandler, FullEventHandler, ShortEventHandler, EventNumber, UserEvent, NoDataEvent } from "./api.js";
