// The client's side of an MQTT session (MQTT 5 section 4.1, 3.1.1 section 4.1): what
// must outlive one network connection so that a reconnect with Clean Start 0 can resume.
// A connection made with `session` records its QoS 1/2 PUBLISHes here until their flow
// completes; the next connection with the same object resends them when the CONNACK
// says the server kept the session (section 4.4), or drops them when it did not
// ([MQTT-3.2.2-5]: the client discards its state) and lists them in `dropped`.
import type { MqttProperty } from "./message.js";

/** A QoS 1/2 PUBLISH of ours whose flow has not completed. */
export interface MqttSessionMessage {
  /** The packet identifier it went out with (kept on resend, section 4.4). */
  readonly id: number;
  /** The topic it was published to. */
  readonly topic: string;
  /** Empty once the server sent PUBREC: only PUBREL is resent then. */
  readonly payload: Buffer;
  /** 1 or 2. */
  readonly qos: number;
  /** The RETAIN flag it was published with. */
  readonly retain: boolean;
  /** True once it was written (a resend then sets DUP); false while it waited for room. */
  readonly sent: boolean;
  /** QoS 2 after PUBREC: what is resent is PUBREL, not the PUBLISH. */
  readonly released: boolean;
}

/** @internal The mutable record behind MqttSessionMessage. */
export interface SessionEntry {
  id: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: boolean;
  props: MqttProperty[] | undefined;
  sent: boolean;
  released: boolean;
}

const EMPTY = Buffer.alloc(0);

/** @internal A copy the application cannot change under us (it may reuse its buffer). */
export function copyPayload(p: string | Uint8Array): Buffer {
  if (typeof p === "string") return Buffer.from(p);
  const b = Buffer.allocUnsafe(p.length);
  b.set(p);
  return b;
}

/**
 * Give the same object to each `mqttConnect(url, { clean: false, session })` of one
 * client: unacknowledged QoS 1/2 PUBLISHes (DUP=1, same packet identifiers) and PUBRELs
 * are resent after a CONNACK with Session Present 1; with Session Present 0 they are
 * dropped (the server has no session to match them) and listed in `dropped`, for the
 * application to publish again if it wants. It also keeps the identifiers of received
 * QoS 2 messages awaiting PUBREL, so a message the server resends is not delivered twice.
 * One connection at a time uses it; state is in memory only.
 */
export class MqttClientSession {
  /** @internal In the order they were published. */
  readonly _entries = new Map<number, SessionEntry>();
  /** @internal Received QoS 2 ids awaiting PUBREL (section 4.3.3). */
  readonly _qos2In = new Set<number>();
  /** @internal The last packet identifier used. */
  _nextId = 0;
  /**
   * @internal A connection with this object got a successful CONNACK: from then on the
   * client holds session state. Before, a CONNACK with Session Present 1 is refused
   * ([MQTT-3.2.2-4]: a client without session state closes the connection).
   */
  _established = false;
  #dropped: MqttSessionMessage[] = [];

  /** Our QoS 1/2 publishes whose flow has not completed. */
  get pending(): MqttSessionMessage[] { return [...this._entries.values()].map(view); }

  /** What the last CONNACK with Session Present 0 made us drop (empty otherwise). */
  get dropped(): MqttSessionMessage[] { return this.#dropped; }

  /** @internal The CONNACK said Session Present 0: the state of the earlier connections goes. */
  _drop(ids: readonly number[]): void {
    const out: MqttSessionMessage[] = [];
    for (const id of ids) {
      const e = this._entries.get(id);
      if (e === undefined) continue;
      out.push(view(e));
      this._entries.delete(id);
    }
    this._qos2In.clear();
    this.#dropped = out;
  }

  /** @internal Recorded when queued or written. */
  _record(e: SessionEntry): void { this._entries.set(e.id, e); }

  /** @internal PUBREC (success): from now on the PUBREL is what is resent. */
  _released(id: number): void {
    const e = this._entries.get(id);
    if (e !== undefined) { e.released = true; e.payload = EMPTY; }
  }
}

function view(e: SessionEntry): MqttSessionMessage {
  return { id: e.id, topic: e.topic, payload: e.payload, qos: e.qos, retain: e.retain, sent: e.sent, released: e.released };
}
