// The MQTT layer, both sides (Mongoose's mqtt_cb): parses packets, answers the QoS 1/2
// flows (PUBACK; PUBREC/PUBREL/PUBCOMP), reports MG_EV_MQTT_OPEN (CONNACK), MG_EV_MQTT_MSG
// (PUBLISH) and MG_EV_MQTT_CMD (every packet), and keeps a client's connection alive.
import type { CoreConnection as Connection, Layer } from "../core/connection.js";
import { MG_EV_CLOSE, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ } from "../core/events.js";
import { MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN } from "./events.js";
import { MgError } from "../util/errors.js";
import {
  MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP, MQTT_CMD_PUBACK,
  MQTT_CMD_PUBCOMP, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK, MQTT_CMD_UNSUBACK,
  MQTT_PROP_SERVER_KEEP_ALIVE,
} from "./constants.js";
import type { MqttPacket } from "./message.js";
import { buildAck, buildSimple } from "./builder.js";
import { receivePackets, RC_PROTOCOL_ERROR, type PacketSink } from "./receiver.js";
import { sendPacket, sizeMqttRecv, type MqttConnState } from "./state.js";

/** MQTT 5 reason codes the layer sends in DISCONNECT (section 3.14.2.1). */
const RC_IMPLEMENTATION_ERROR = 0x83, RC_SERVER_SHUTTING_DOWN = 0x8b;

/** The MQTT layer of a connection (both sides). */
export class MqttLayer implements Layer {
  constructor(c: Connection, readonly st: MqttConnState) {
    sizeMqttRecv(c, st);
  }

  onEvent(c: Connection, ev: number, data: unknown): void {
    const st = this.st;
    switch (ev) {
      case MG_EV_READ:
        receivePackets(c, st, sink);
        break;
      case MG_EV_POLL:
        if (!st.isServer && !st.failed && !c.isClosing) clientPoll(c, st, data as number);
        break;
      case MG_EV_ERROR:
        st.failed = true;
        break;
      case MG_EV_CLOSE:
        st.inflight.clear();
        st.qos2In.clear();
        break;
    }
  }

  /** Shutdown: a server tells MQTT 5 clients why (0x8B server shutting down), then drains. */
  onShutdown(c: Connection): boolean {
    const st = this.st;
    if (st.isServer && st.connected && st.version >= 5 && !st.failed && c.canSend) {
      sendPacket(c, st, buildSimple(MQTT_CMD_DISCONNECT, 5, RC_SERVER_SHUTTING_DOWN));
    }
    return false;
  }

  /** The handler threw on a packet: DISCONNECT 0x83 (implementation specific error) on MQTT 5, then close. */
  onHandlerError(c: Connection, ev: number, _err: unknown): void {
    if (ev !== MG_EV_MQTT_MSG && ev !== MG_EV_MQTT_CMD && ev !== MG_EV_MQTT_OPEN) return;
    const st = this.st;
    if (st.failed || !c.canSend) return;
    st.failed = true;
    if (st.version >= 5 && (st.connected || !st.isServer)) sendPacket(c, st, buildSimple(MQTT_CMD_DISCONNECT, 5, RC_IMPLEMENTATION_ERROR));
    c.drain();
  }
}

/** Client keep alive (3.1.1 section 3.1.2.10): PINGREQ when idle, error when unanswered. */
function clientPoll(c: Connection, st: MqttConnState, now: number): void {
  if (!st.connected) {
    if (now > st.connectDeadline) fail(c, st, "no CONNACK in time (connectTimeoutMs)", 0);
    return;
  }
  if (st.keepAliveMs <= 0) return;
  if (st.pingSentAt > 0) {
    if (now - st.pingSentAt > st.keepAliveMs) fail(c, st, "no PINGRESP within the keep alive interval", 0);
  } else if (now - st.lastSent >= st.keepAliveMs) {
    sendPacket(c, st, buildSimple(MQTT_CMD_PINGREQ, st.version));
    st.pingSentAt = now;
  }
}

function fail(c: Connection, st: MqttConnState, reason: string, code: number): void {
  st.failed = true;
  if (c.recvLen > 0) c.recvConsume();
  // MQTT 5 says why before closing (section 4.13).
  if (code !== 0 && st.version >= 5 && (st.connected || !st.isServer)) sendPacket(c, st, buildSimple(MQTT_CMD_DISCONNECT, 5, code));
  c.error(new MgError("ERR_MQTT_PROTOCOL", `MQTT: ${reason}`, code !== 0 ? { reasonCode: code } : {}));
}

const sink: PacketSink = {
  fail,
  packet(c, st, m) {
    if (!checkOrder(c, st, m)) return;
    switch (m.cmd) {
      case MQTT_CMD_CONNECT:
        st.version = m.version;
        st.connected = true;
        break;
      case MQTT_CMD_CONNACK:
        c.call(MG_EV_MQTT_OPEN, m.ack);
        if (m.ack !== 0) {
          c.call(MG_EV_MQTT_CMD, m);
          c.close(); // refused (3.1.1 section 3.2.2.3): the server closes too
          return;
        }
        st.connected = true;
        if (m.props.length > 0) {
          // MQTT 5 section 3.2.2.3.14: the server may set the keep alive to use.
          const ska = m.properties().find((p) => p.id === MQTT_PROP_SERVER_KEEP_ALIVE);
          if (ska !== undefined) st.keepAliveMs = ska.iv! * 1000;
        }
        break;
      case MQTT_CMD_PUBLISH: {
        let duplicate = false;
        if (m.qos === 1) sendPacket(c, st, buildAck(MQTT_CMD_PUBACK, st.version, m.id));
        else if (m.qos === 2) {
          // Exactly once (section 4.3.3): a resent PUBLISH before PUBREL is acknowledged again, not delivered again.
          duplicate = st.qos2In.has(m.id);
          st.qos2In.add(m.id);
          sendPacket(c, st, buildAck(MQTT_CMD_PUBREC, st.version, m.id));
        }
        if (!duplicate) c.call(MG_EV_MQTT_MSG, m);
        break;
      }
      case MQTT_CMD_PUBREC:
        // MQTT 5: a reason code of 0x80 or more ends the flow without PUBREL.
        if (m.ack < 0x80) sendPacket(c, st, buildAck(MQTT_CMD_PUBREL, st.version, m.id));
        else st.inflight.delete(m.id);
        break;
      case MQTT_CMD_PUBREL:
        st.qos2In.delete(m.id);
        sendPacket(c, st, buildAck(MQTT_CMD_PUBCOMP, st.version, m.id));
        break;
      case MQTT_CMD_PUBACK: case MQTT_CMD_PUBCOMP: case MQTT_CMD_SUBACK: case MQTT_CMD_UNSUBACK:
        st.inflight.delete(m.id);
        break;
      case MQTT_CMD_PINGRESP:
        st.pingSentAt = 0;
        break;
    }
    c.call(MG_EV_MQTT_CMD, m);
  },
};

/** Section 3.1: a server's first packet is CONNECT, and only one; a client never receives CONNECT. */
function checkOrder(c: Connection, st: MqttConnState, m: MqttPacket): boolean {
  let bad: string | undefined;
  if (st.isServer) {
    if (!st.connected && m.cmd !== MQTT_CMD_CONNECT) bad = `packet type ${m.cmd} before CONNECT`;
    else if (st.connected && m.cmd === MQTT_CMD_CONNECT) bad = "second CONNECT";
    else if (m.cmd === MQTT_CMD_CONNACK || m.cmd === MQTT_CMD_PINGRESP) bad = `packet type ${m.cmd} sent to a server`;
  } else if (m.cmd === MQTT_CMD_CONNECT || m.cmd === MQTT_CMD_PINGREQ) {
    bad = `packet type ${m.cmd} sent to a client`;
  } else if (!st.connected && m.cmd !== MQTT_CMD_CONNACK && m.cmd !== MQTT_CMD_DISCONNECT) {
    bad = `packet type ${m.cmd} before CONNACK`;
  }
  if (bad === undefined) return true;
  fail(c, st, `protocol error: ${bad}`, RC_PROTOCOL_ERROR);
  return false;
}

/** The MQTT state of `c`, or a clear error. */
export function mqttState(c: Connection, what: string): MqttConnState {
  const l = c.layer;
  if (!(l instanceof MqttLayer)) throw new MgError("ERR_WRONG_CONN", `${what}: connection ${c.id} is not an MQTT connection`);
  if (!c.canSend) throw c.closedError(what);
  return l.st;
}
