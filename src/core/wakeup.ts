// Waking a connection from another thread (Mongoose's mg_wakeup). The manager owns a
// MessageChannel; wakeupHandle() gives out its other end, which can be transferred to a
// worker_threads Worker. Messages arrive as MG_EV_WAKEUP on the named connection.
import { MessageChannel, type MessagePort } from "node:worker_threads";

/** What a worker holds to wake connections of a manager in another thread. */
export type WakeupHandle = MessagePort;

interface WakeupMessage { connId: number; data: Uint8Array }

/**
 * Sends MG_EV_WAKEUP with `data` to connection `connId` of the manager that made
 * `handle`. Usable from any thread that received the handle.
 */
export function wakeup(handle: WakeupHandle, connId: number, data: string | Uint8Array = new Uint8Array(0)): boolean {
  if (!Number.isInteger(connId) || connId <= 0) return false;
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : new Uint8Array(data);
  handle.postMessage({ connId, data: bytes } satisfies WakeupMessage);
  return true;
}

/** The manager's end of one handle: delivers messages to `deliver`; does not keep the process alive. */
export class WakeupChannel {
  private readonly channel = new MessageChannel();

  constructor(deliver: (connId: number, data: Buffer) => void) {
    this.channel.port1.on("message", (m: WakeupMessage) => {
      if (m && typeof m.connId === "number" && m.data instanceof Uint8Array) {
        deliver(m.connId, Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength));
      }
    });
    this.channel.port1.unref();
  }

  /** The end to give to workers (transfer it: `new Worker(f, { workerData: h, transferList: [h] })`). */
  get handle(): WakeupHandle { return this.channel.port2; }

  close(): void {
    this.channel.port1.close();
  }
}
