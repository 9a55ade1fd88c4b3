// The layer of an MQTT connection carried over WebSocket (MQTT 5.0 section 6, the same
// for 3.1.1): an MQTT layer whose bytes come from, and go out in, the binary messages
// of a WebSocket layer it runs inside. Neither protocol knows the other: the WebSocket
// layer hands its data messages to a consumer (ws/layer.ts), the MQTT layer reads an
// MqttInput and writes through an MqttOutput (mqtt/state.ts); this file connects them.
import type { CoreConnection as Connection } from "../core/connection.js";
import { RecvBuffer } from "../core/recv-buffer.js";
import { MG_EV_CLOSE, MG_EV_CONNECT, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ, MG_EV_WRITE } from "../core/events.js";
import { MqttLayer } from "../mqtt/layer.js";
import type { MqttConnState, MqttInput } from "../mqtt/state.js";
import { WsLayer, type WsCarrier } from "../ws/layer.js";
import type { WsConnState } from "../ws/state.js";
import { MG_EV_WS_OPEN } from "../ws/events.js";
import { WEBSOCKET_OP_BINARY } from "../ws/constants.js";
import { WS_CLOSE_NORMAL, WS_CLOSE_POLICY_VIOLATION, WS_CLOSE_UNSUPPORTED_DATA } from "../ws/close.js";

/**
 * The MQTT bytes unwrapped from binary messages, in order: packets are not aligned
 * with frames [MQTT-6.0.0-2], so one message may end inside a packet that the next
 * completes, or hold several. Messages are appended as they are (no copy: the
 * WebSocket layer never writes them again); only a packet split over messages is
 * gathered.
 */
class Inbox implements MqttInput {
  readonly #buf = new RecvBuffer();
  constructor(readonly recvSize: number) {}
  get recvLen(): number { return this.#buf.length; }
  recvData(n?: number): Buffer { return this.#buf.view(n); }
  recvConsume(n?: number): void { this.#buf.consume(n); }
  append(b: Buffer): void { this.#buf.append(b); }
}

/** An MQTT layer over a WebSocket layer (client or server side). */
export class MqttWsLayer extends MqttLayer implements WsCarrier {
  readonly wsLayer: WsLayer;
  readonly #inbox: Inbox;
  /** Client: packets queued before the 101 (CONNECT first), sent in one frame once it arrives. */
  #held: Buffer[] | undefined = undefined;

  constructor(c: Connection, st: MqttConnState, ws: WsConnState) {
    super(c, st);
    this.wsLayer = new WsLayer(ws, (cc, op, data) => this.#message(cc, op, data));
    this.#inbox = new Inbox(st.maxPacket);
    st.input = this.#inbox;
    st.output = (cc, pkt) => this.#send(cc, pkt);
    // One backpressure mark for both: frames are not decoded while MQTT parsing waits
    // for the send queue to shrink, so the unwrapped bytes cannot pile up (one message at most).
    this.wsLayer.setBackpressure(st.sendHighWater);
  }

  override onEvent(c: Connection, ev: number, data: unknown): void {
    switch (ev) {
      case MG_EV_READ:
        // The handshake's response (client), then frames: each binary message goes to #message.
        this.wsLayer.onEvent(c, ev, data);
        return;
      case MG_EV_WS_OPEN:
        // Client: the 101 arrived; what the application queued meanwhile follows it.
        this.#flushHeld(c);
        return;
      case MG_EV_CONNECT: case MG_EV_POLL: case MG_EV_WRITE: case MG_EV_ERROR: case MG_EV_CLOSE:
        this.wsLayer.onEvent(c, ev, data);
        break;
    }
    super.onEvent(c, ev, data);
  }

  onSend(c: Connection, data: Buffer): void { this.wsLayer.onSend(c, data); }
  onFlush(c: Connection): void { this.wsLayer.onFlush(c); }
  onFlushed(c: Connection, handedOver: boolean): void { this.wsLayer.onFlushed(c, handedOver); }
  onDrain(c: Connection): void {
    this.#closeFrame(c);
    this.wsLayer.onDrain(c);
  }

  /** The MQTT side closes the connection (DISCONNECT, an error): the WebSocket closes too. */
  onClose(c: Connection): void { this.#closeFrame(c); }

  /**
   * RFC 6455 section 7.1.1: the WebSocket is closed with a close frame, not only the TCP
   * connection under it: 1000 after an orderly MQTT end, 1008 after an MQTT error
   * (the WebSocket itself was fine: its peer broke the carried protocol's rules).
   */
  #closeFrame(c: Connection): void {
    const failed = this.st.failed;
    if (this.wsLayer.sendCloseFrame(c, failed ? WS_CLOSE_POLICY_VIOLATION : WS_CLOSE_NORMAL, failed ? "MQTT protocol error" : "")) {
      c._linger = true; // the peer reads the frame before the socket goes (core/linger.ts)
    }
  }

  /** Shutdown: MQTT 5 clients get DISCONNECT 0x8B, then the WebSocket closes with 1001. */
  override onShutdown(c: Connection): boolean {
    super.onShutdown(c);
    return this.wsLayer.onShutdown(c);
  }

  /** A data message: its bytes go on the MQTT stream; a text message closes [MQTT-6.0.0-1]. */
  #message(c: Connection, op: number, data: Buffer): void {
    const st = this.st;
    if (st.failed) return;
    if (op !== WEBSOCKET_OP_BINARY) {
      st.failed = true;
      this.wsLayer.fail(c, WS_CLOSE_UNSUPPORTED_DATA, "MQTT travels in binary messages only, a text message arrived [MQTT-6.0.0-1]");
      return;
    }
    this.#inbox.append(data);
    // Decoding resumed (the send queue is down to half the mark: the WebSocket side may
    // resume from the socket's drain hook, outside MG_EV_WRITE), so MQTT parsing resumes too.
    if (st.paused && c.sendLen <= st.sendHighWater / 2) st.paused = false;
    super.onEvent(c, MG_EV_READ, this.#inbox.recvLen); // parses what is complete
  }

  /** The MQTT layer's output: each call is one binary frame (the core batches the writes of one turn). */
  #send(c: Connection, pkt: Buffer): void {
    if (this.wsLayer.handshaking) { (this.#held ??= []).push(pkt); return; }
    // (After our close frame nothing is sent, RFC 6455 section 5.5.1: the connection is ending.)
    this.wsLayer.sendBinary(c, pkt);
  }

  #flushHeld(c: Connection): void {
    const held = this.#held;
    this.#held = undefined;
    if (held === undefined || !c.canSend) return;
    this.#send(c, held.length === 1 ? held[0]! : Buffer.concat(held));
  }
}
