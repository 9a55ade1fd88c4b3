// An SNTP client connection polled in the background, with the events it got.
import { Manager, MG_EV_CLOSE, MG_EV_ERROR, MG_EV_SNTP_TIME, type Connection, type SntpConnectOptions } from "../../src/index.js";
import { startLoop, type Loop } from "../helpers.js";

export interface SntpClient extends Loop {
  conn: Connection;
  times: number[];
  errors: string[];
  closed: boolean;
}

export function sntpClient(url: string, opts: SntpConnectOptions = {}): SntpClient {
  const manager = new Manager();
  const times: number[] = [];
  const errors: string[] = [];
  const out = { closed: false };
  const conn = manager.sntpConnect(url, (_c, ev, data) => {
    if (ev === MG_EV_SNTP_TIME) times.push(data);
    else if (ev === MG_EV_ERROR) errors.push(data);
    else if (ev === MG_EV_CLOSE) out.closed = true;
  }, opts);
  const loop = startLoop(manager);
  return { ...loop, conn, times, errors, get closed() { return out.closed; } };
}
