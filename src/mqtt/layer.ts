// The MQTT layer, both sides (Mongoose's mqtt_cb): parses packets, answers the QoS 1/2
// flows (PUBACK; PUBREC/PUBREL/PUBCOMP), reports MG_EV_MQTT_OPEN (CONNACK), MG_EV_MQTT_MSG
// (PUBLISH) and MG_EV_MQTT_CMD (every packet), and keeps a client's connection alive.
import type { CoreConnection as Connection, Layer } from "../core/connection.js";
import { MG_EV_CLOSE, MG_EV_ERROR, MG_EV_POLL, MG_EV_READ, MG_EV_WRITE } from "../core/events.js";
import { MG_EV_MQTT_CMD, MG_EV_MQTT_MSG, MG_EV_MQTT_OPEN } from "./events.js";
import { MgError } from "../util/errors.js";
import {
  MQTT_CMD_AUTH, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP, MQTT_CMD_PUBACK,
  MQTT_CMD_PUBCOMP, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK, MQTT_CMD_UNSUBACK,
  MQTT_PROP_AUTHENTICATION_DATA, MQTT_PROP_AUTHENTICATION_METHOD, MQTT_PROP_MAXIMUM_PACKET_SIZE, MQTT_PROP_RECEIVE_MAXIMUM,
  MQTT_PROP_SERVER_KEEP_ALIVE, MQTT_PROP_TOPIC_ALIAS, MQTT_PROP_TOPIC_ALIAS_MAXIMUM, MQTT_PROP_MAXIMUM_QOS, MQTT_PROP_RETAIN_AVAILABLE,
  MQTT_PROP_SUBSCRIPTION_IDENTIFIER,
} from "./constants.js";
import type { MqttPacket, MqttProperty } from "./message.js";
import { buildAck, buildConnack, buildPublish, buildSimple } from "./builder.js";
import { receivePackets, RC_PROTOCOL_ERROR, type PacketSink } from "./receiver.js";
import { UNSUPPORTED_LEVEL } from "./parser.js";
import { nextPacketId, sendChecked, sendPacket, sizeMqttRecv, type MqttConnState, type PendingPub } from "./state.js";
import { copyPayload } from "./session.js";
import { learnClientMaxPacket } from "./fit.js";
import { logDebug } from "../util/log.js";

/** MQTT 5 reason codes the layer sends (section 2.4). */
const RC_UNSPECIFIED = 0x80, RC_IMPLEMENTATION_ERROR = 0x83, RC_SERVER_SHUTTING_DOWN = 0x8b, RC_TOPIC_ALIAS_INVALID = 0x94;
const RC_CONTINUE_AUTH = 0x18;

/** The MQTT layer of a connection (both sides). */
export class MqttLayer implements Layer {
  constructor(c: Connection, readonly st: MqttConnState) {
    sizeMqttRecv(c, st);
  }

  onEvent(c: Connection, ev: number, data: unknown): void {
    const st = this.st;
    switch (ev) {
      case MG_EV_READ:
        if (!st.paused) receivePackets(c, st, sink);
        break;
      case MG_EV_WRITE:
        resumeIfDrained(c, st);
        break;
      case MG_EV_POLL:
        resumeIfDrained(c, st);
        if (!st.isServer && !st.failed && !c.isClosing) clientPoll(c, st, data as number);
        break;
      case MG_EV_ERROR:
        st.failed = true;
        break;
      case MG_EV_CLOSE:
        st.inflight.clear();
        // With a session the received QoS 2 ids are its own (a resumed session still knows them).
        if (st.session === undefined) st.qos2In.clear();
        else st.session._nextId = st.nextId;
        st.unacked.clear();
        st.pubInflight.clear();
        st.pubQueue.length = 0;
        break;
    }
  }

  /** Shutdown: a server tells MQTT 5 clients why (0x8B server shutting down), then drains. */
  onShutdown(c: Connection): boolean {
    const st = this.st;
    if (st.isServer && st.connacked && st.version >= 5 && !st.failed && c.canSend) {
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
    if (st.version >= 5 && (st.connacked || !st.isServer)) { sendPacket(c, st, buildSimple(MQTT_CMD_DISCONNECT, 5, RC_IMPLEMENTATION_ERROR)); c._linger = true; }
    c.drain();
  }
}

/**
 * Backpressure (issue 9): receivePackets() stops while the send queue is above the
 * high-water mark (a peer that sends without reading our answers); below half of it,
 * parsing resumes with what waits in the receive buffer.
 */
function resumeIfDrained(c: Connection, st: MqttConnState): void {
  if (!st.paused || c.sendLen > st.sendHighWater / 2) return;
  st.paused = false;
  receivePackets(c, st, sink);
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
  if (st.input !== undefined && st.input.recvLen > 0) st.input.recvConsume();
  // MQTT 5 says why before closing (section 4.13).
  // [MQTT-3.14.0-1]: a server's DISCONNECT only follows its CONNACK 0x00.
  if (code !== 0 && st.version >= 5 && (st.connacked || !st.isServer)) {
    sendPacket(c, st, buildSimple(MQTT_CMD_DISCONNECT, 5, code));
    c._linger = true; // the peer reads why before the socket goes (a lingering close, core/linger.ts)
  } else if (st.isServer && !st.connected && reason.includes(UNSUPPORTED_LEVEL) && c.canSend) {
    // 3.1.1 [MQTT-3.1.2-2]: CONNACK 0x01 (unacceptable protocol level), in the 3.1.1 form
    // every level's client can read (MQTT 5 allows it: 0x84 is optional), then close.
    sendPacket(c, st, buildConnack(4, false, CONNACK_BAD_LEVEL));
    c._linger = true;
  } else if (st.isServer && !st.connected && code !== 0 && st.version === 5 && c.canSend) {
    // An MQTT 5 CONNECT refused (malformed 0x81, protocol error 0x82): CONNACK says why (section 3.1.4).
    sendPacket(c, st, buildConnack(5, false, code));
    c._linger = true;
  }
  c.error(new MgError("ERR_MQTT_PROTOCOL", `MQTT: ${reason}`, code !== 0 ? { reasonCode: code } : {}));
}

/** 3.1.1 CONNACK return code 1: unacceptable protocol level (section 3.2.2.3). */
const CONNACK_BAD_LEVEL = 1;

// The MQTT events the layer raises go to the handler alone (c._callHandler, not c.call):
// the layer itself does nothing with them (MqttLayer.onEvent and MqttWsLayer.onEvent pass
// them by), so the three calls per PUBLISH skip a visit to it.
const sink: PacketSink = {
  fail,
  packet(c, st, m) {
    if (!checkOrder(c, st, m)) return;
    switch (m.cmd) {
      case MQTT_CMD_CONNECT:
        st.version = m.version;
        st.connected = true;
        learnClientMaxPacket(st, m); // what the server sends stays within it [MQTT-3.1.2-24]
        break;
      case MQTT_CMD_CONNACK:
        if (m.ack !== 0) {
          c._callHandler(MG_EV_MQTT_OPEN, m.ack);
          c._callHandler(MG_EV_MQTT_CMD, m);
          c.close(); // refused (3.1.1 section 3.2.2.3): the server closes too
          return;
        }
        // [MQTT-3.2.2-4]: after a clean start the server has no session to be present; nor with a
        // `session` object no connection established yet (the client has no session state).
        if (m.sessionPresent && (st.cleanStart || st.session?._established === false)) {
          fail(c, st, `protocol error: CONNACK with Session Present 1 ${st.cleanStart ? "after Clean Start 1" : "and no session state (a new session object)"}`, RC_PROTOCOL_ERROR);
          return;
        }
        st.connected = true;
        if (m.props.length > 0) connackProps(st, m.properties());
        if (st.session !== undefined) resumeSession(c, st, m.sessionPresent);
        c._callHandler(MG_EV_MQTT_OPEN, m.ack);
        flushPublishes(c, st); // held until the server said its Receive Maximum
        break;
      case MQTT_CMD_PUBLISH: {
        if (!st.isServer && st.version >= 5 && !resolveAlias(c, st, m)) return;
        // [MQTT-3.3.4-6]: a Subscription Identifier is the server's to send; the codec
        // cannot know the direction, the layer does.
        if (st.isServer && m.props.length > 0 && m.properties().some((p) => p.id === MQTT_PROP_SUBSCRIPTION_IDENTIFIER)) {
          fail(c, st, "protocol error: a PUBLISH from a client carries a Subscription Identifier [MQTT-3.3.4-6]", RC_PROTOCOL_ERROR);
          return;
        }
        if (m.qos === 2) {
          // Exactly once (section 4.3.3): a resent PUBLISH before PUBREL is acknowledged again, not delivered again.
          if (st.qos2In.has(m.id)) {
            if (!st.unacked.has(m.id)) sendPacket(c, st, buildAck(MQTT_CMD_PUBREC, st.version, m.id));
            break;
          }
          st.qos2In.add(m.id);
        }
        if (m.qos === 0) { c._callHandler(MG_EV_MQTT_MSG, m); break; }
        // The ack goes out once the handler has decided: mqttAck() inside it sets the reason code.
        st.unacked.add(m.id);
        c._callHandler(MG_EV_MQTT_MSG, m);
        if (!st.manualAcks && st.unacked.delete(m.id) && !st.failed && c.canSend) sendPubAck(c, st, m.qos, m.id, 0, undefined);
        break;
      }
      case MQTT_CMD_PUBREC:
        // MQTT 5: a reason code of 0x80 or more ends the flow without PUBREL.
        if (m.ack < 0x80) { st.session?._released(m.id); sendPacket(c, st, buildAck(MQTT_CMD_PUBREL, st.version, m.id)); }
        else published(c, st, m.id);
        break;
      case MQTT_CMD_PUBREL:
        st.qos2In.delete(m.id);
        sendPacket(c, st, buildAck(MQTT_CMD_PUBCOMP, st.version, m.id));
        break;
      case MQTT_CMD_PUBACK: case MQTT_CMD_PUBCOMP:
        published(c, st, m.id);
        break;
      case MQTT_CMD_SUBACK: case MQTT_CMD_UNSUBACK:
        st.inflight.delete(m.id);
        break;
      case MQTT_CMD_AUTH:
        if (!st.isServer && !clientAuth(c, st, m)) return;
        break;
      case MQTT_CMD_PINGRESP:
        st.pingSentAt = 0;
        break;
    }
    c._callHandler(MG_EV_MQTT_CMD, m);
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
  } else if (m.cmd === MQTT_CMD_AUTH && st.authMethod === undefined) {
    // Section 4.12: a server sends AUTH only to a client whose CONNECT had an Authentication Method.
    bad = "AUTH without an Authentication Method in CONNECT";
  } else if (!st.connected && m.cmd !== MQTT_CMD_CONNACK && m.cmd !== MQTT_CMD_DISCONNECT && m.cmd !== MQTT_CMD_AUTH) {
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
  // [MQTT-3.14.4-1]: after a DISCONNECT (or a refusing CONNACK) nothing more is sent.
  if (!c.canSend || (l.st.failed && c.isDraining)) throw c.closedError(what);
  return l.st;
}

// ---- acknowledgements ---------------------------------------------------------------

/** PUBACK (QoS 1) or PUBREC (QoS 2) for a received PUBLISH; 0x80 and above refuse it (MQTT 5). */
export function sendPubAck(c: Connection, st: MqttConnState, qos: number, id: number, reason: number, props: readonly MqttProperty[] | undefined): void {
  // A refused QoS 2 message ends its flow: a later PUBLISH with this id is a new message (section 4.3.3).
  if (qos === 2 && reason >= 0x80) st.qos2In.delete(id);
  sendPacket(c, st, buildAck(qos === 1 ? MQTT_CMD_PUBACK : MQTT_CMD_PUBREC, st.version, id, st.version >= 5 ? reason : 0, props));
}

/** Our PUBLISH `id` is done (PUBACK, PUBCOMP, or PUBREC refusing it): room for a queued one. */
function published(c: Connection, st: MqttConnState, id: number): void {
  // A broker's connection publishes nothing of its own (its deliveries are the broker's):
  // the empty sets are not searched on every PUBACK.
  if (st.inflight.size === 0) return;
  st.inflight.delete(id);
  st.session?._entries.delete(id);
  if (st.pubInflight.delete(id) && st.pubQueue.length > 0) flushPublishes(c, st);
}

// ---- MQTT 5 client: CONNACK limits, flow control, topic aliases, AUTH ----------------

/** What the server's CONNACK says about the rest of the connection (MQTT 5 section 3.2.2.3). */
function connackProps(st: MqttConnState, props: MqttProperty[]): void {
  for (const p of props) {
    switch (p.id) {
      case MQTT_PROP_SERVER_KEEP_ALIVE: st.keepAliveMs = p.iv! * 1000; break; // 3.2.2.3.14
      case MQTT_PROP_RECEIVE_MAXIMUM: if (p.iv! > 0) st.peerReceiveMax = p.iv!; break; // 3.2.2.3.3
      case MQTT_PROP_MAXIMUM_PACKET_SIZE: if (p.iv! > 0) st.peerMaxPacket = p.iv!; break; // 3.2.2.3.6
      case MQTT_PROP_TOPIC_ALIAS_MAXIMUM: st.aliasOutMax = st.useAliases ? p.iv! : 0; break; // 3.2.2.3.8
      case MQTT_PROP_MAXIMUM_QOS: st.peerMaxQos = p.iv!; break; // 3.2.2.3.4
      case MQTT_PROP_RETAIN_AVAILABLE: st.peerRetain = p.iv !== 0; break; // 3.2.2.3.5
    }
  }
}

/**
 * Client, MQTT 5: publishes at QoS `qos`, or queues a QoS 1/2 PUBLISH while the server's
 * Receive Maximum is reached or its CONNACK has not come ([MQTT-4.9.0-2]: never more
 * unacknowledged QoS 1/2 PUBLISH than it allows). Returns the packet identifier.
 */
export function sendPublish(c: Connection, st: MqttConnState, topic: string, payload: string | Uint8Array, qos: number, retain: boolean, dup: boolean, props: MqttProperty[] | undefined): number {
  if (qos === 0) { writePublish(c, st, topic, payload, 0, retain, dup, 0, props); return 0; }
  if (st.connected && st.pubQueue.length === 0 && st.pubInflight.size < st.peerReceiveMax) {
    const id = nextPacketId(st);
    writePublish(c, st, topic, payload, qos, retain, dup, id, props);
    st.inflight.add(id);
    st.pubInflight.add(id);
    st.session?._record({ id, topic, payload: copyPayload(payload), qos, retain, props, sent: true, released: false });
    return id;
  }
  if (st.pubQueue.length >= st.maxQueuedPubs) {
    throw new MgError("ERR_MQTT_PROTOCOL", `mqttPub: ${st.pubQueue.length} publishes already wait for the server's Receive Maximum (maxQueuedPublishes)`, { reasonCode: 0x97 });
  }
  // Checked now (bad topic, properties, size), so the queued one cannot fail later.
  const full = buildPublish(5, topic, payload, qos, retain, dup, 1, props);
  if (full.length > st.peerMaxPacket) throw new MgError("ERR_INVALID_ARG", `mqttPub: packet of ${full.length} bytes is over the server's Maximum Packet Size of ${st.peerMaxPacket}`);
  const id = nextPacketId(st);
  st.inflight.add(id);
  const copy = copyPayload(payload);
  st.pubQueue.push({ topic, payload: copy, qos, retain, dup, id, props });
  st.session?._record({ id, topic, payload: copy, qos, retain, props, sent: false, released: false });
  return id;
}

/** Sends queued publishes while the server's Receive Maximum leaves room. */
function flushPublishes(c: Connection, st: MqttConnState): void {
  const q = st.pubQueue;
  let i = 0;
  while (i < q.length && st.pubInflight.size < st.peerReceiveMax && c.canSend) {
    const p = q[i++]!;
    if (p.qos > st.peerMaxQos || (p.retain && !st.peerRetain)) {
      // Queued before the CONNACK said the server does not take it [MQTT-3.2.2-11] [MQTT-3.2.2-14].
      st.inflight.delete(p.id);
      st.session?._entries.delete(p.id);
      logDebug(`conn ${c.id}: MQTT: queued PUBLISH ${p.id} dropped: QoS ${p.qos}${p.retain ? " retained" : ""} is not what the server's CONNACK allows`);
      continue;
    }
    try {
      writePublish(c, st, p.topic, p.payload, p.qos, p.retain, p.dup, p.id, p.props);
      st.pubInflight.add(p.id);
      const e = st.session?._entries.get(p.id);
      if (e !== undefined) e.sent = true;
    } catch (e) {
      // Only the server's Maximum Packet Size, learnt after it was queued, can refuse it here.
      st.inflight.delete(p.id);
      st.session?._entries.delete(p.id);
      logDebug(`conn ${c.id}: MQTT: queued PUBLISH ${p.id} dropped: ${(e as Error).message}`);
    }
  }
  if (i > 0) q.splice(0, i);
}

/**
 * Client with a session, at a successful CONNACK. Session Present 1: the publishes of
 * earlier connections go again with their identifiers (MQTT 5 [MQTT-4.4.0-1], 3.1.1
 * section 4.4), in their order: PUBREL for QoS 2 ones the server had received, the
 * PUBLISH with DUP=1 for the rest ([MQTT-3.3.1-1]; DUP=0 for those never written), within
 * the server's Receive Maximum (the rest wait in the queue, ahead of newer ones).
 * Session Present 0: the server has none of them; they are dropped and listed in
 * `session.dropped` ([MQTT-3.2.2-5]... [MQTT-4.1.0-1] the client discards its state).
 */
function resumeSession(c: Connection, st: MqttConnState, present: boolean): void {
  const s = st.session!;
  s._established = true;
  const ids = st.resumeIds;
  st.resumeIds = [];
  if (!present) {
    for (const id of ids) st.inflight.delete(id);
    s._drop(ids);
    return;
  }
  const waiting: PendingPub[] = [];
  for (const id of ids) {
    const e = s._entries.get(id);
    if (e === undefined) continue;
    if (e.released) {
      sendPacket(c, st, buildAck(MQTT_CMD_PUBREL, st.version, id));
      if (st.version >= 5) st.pubInflight.add(id); // counted until PUBCOMP (section 4.9)
    } else if (st.version < 5) {
      sendPacket(c, st, buildPublish(st.version, e.topic, e.payload, e.qos, e.retain, e.sent, id, e.props));
      e.sent = true;
    } else if (waiting.length === 0 && st.pubInflight.size < st.peerReceiveMax) {
      try {
        writePublish(c, st, e.topic, e.payload, e.qos, e.retain, e.sent, id, e.props);
        e.sent = true;
        st.pubInflight.add(id);
      } catch (err) {
        // The new server's Maximum Packet Size is smaller than the old one's.
        st.inflight.delete(id);
        s._entries.delete(id);
        logDebug(`conn ${c.id}: MQTT: PUBLISH ${id} of the session dropped: ${(err as Error).message}`);
      }
    } else {
      waiting.push({ topic: e.topic, payload: e.payload, qos: e.qos, retain: e.retain, dup: e.sent, id, props: e.props });
    }
  }
  if (waiting.length > 0) st.pubQueue.unshift(...waiting);
}

/**
 * Writes one PUBLISH, with a topic alias when they are on (section 3.3.2.3.4): the first
 * PUBLISH of a topic sets alias 1..max with the topic, the next ones send the alias and
 * an empty topic. Topics past the server's maximum go in full. An alias the
 * application set itself in `props` is left alone.
 */
function writePublish(c: Connection, st: MqttConnState, topic: string, payload: string | Uint8Array, qos: number, retain: boolean, dup: boolean, id: number, props: MqttProperty[] | undefined): void {
  if (st.aliasOutMax === 0 || topic === "" || (props !== undefined && props.some((p) => p.id === MQTT_PROP_TOPIC_ALIAS))) {
    sendChecked(c, st, buildPublish(st.version, topic, payload, qos, retain, dup, id, props), "mqttPub");
    return;
  }
  let alias = st.aliasOut.get(topic);
  const known = alias !== undefined;
  if (alias === undefined && st.aliasOut.size < st.aliasOutMax) alias = st.aliasOut.size + 1;
  if (alias === undefined) {
    sendChecked(c, st, buildPublish(st.version, topic, payload, qos, retain, dup, id, props), "mqttPub");
    return;
  }
  const withAlias: MqttProperty[] = props === undefined ? [{ id: MQTT_PROP_TOPIC_ALIAS, iv: alias }] : [...props, { id: MQTT_PROP_TOPIC_ALIAS, iv: alias }];
  sendChecked(c, st, buildPublish(st.version, known ? "" : topic, payload, qos, retain, dup, id, withAlias), "mqttPub");
  if (!known) st.aliasOut.set(topic, alias); // set once the packet that carries it is queued
}

/**
 * Client, MQTT 5: the topic of a PUBLISH from the server that uses a topic alias
 * (section 3.3.2.3.4). Alias 0 [MQTT-3.3.2-8], an alias over the Topic Alias Maximum we
 * announced [MQTT-3.3.2-10], or an empty topic with an alias never set: DISCONNECT 0x94.
 */
function resolveAlias(c: Connection, st: MqttConnState, m: MqttPacket): boolean {
  let alias = -1;
  if (m.props.length > 0) {
    for (const p of m.properties()) if (p.id === MQTT_PROP_TOPIC_ALIAS) alias = p.iv!;
  }
  if (alias < 0) {
    if (m.topic !== "") return true;
    fail(c, st, "protocol error: PUBLISH with an empty topic and no Topic Alias", RC_PROTOCOL_ERROR); // section 3.3.2.1
    return false;
  }
  if (alias === 0 || alias > st.aliasInMax) {
    fail(c, st, `topic alias ${alias} is invalid (Topic Alias Maximum ${st.aliasInMax})`, RC_TOPIC_ALIAS_INVALID);
    return false;
  }
  if (m.topic !== "") { st.aliasIn[alias] = m.topic; return true; }
  const t = st.aliasIn[alias];
  if (t === undefined) {
    fail(c, st, `topic alias ${alias} was never set`, RC_TOPIC_ALIAS_INVALID);
    return false;
  }
  m.topic = t;
  return true;
}

/**
 * Client, MQTT 5 enhanced authentication (section 4.12): AUTH 0x18 from the server goes
 * to the `auth` callback, whose answer is sent back as AUTH 0x18; AUTH 0x00 ends a
 * re-authentication. The packet is reported as MG_EV_MQTT_CMD too.
 */
function clientAuth(c: Connection, st: MqttConnState, m: MqttPacket): boolean {
  const props = m.props.length > 0 ? m.properties() : [];
  const method = props.find((p) => p.id === MQTT_PROP_AUTHENTICATION_METHOD)?.val;
  // [MQTT-4.12.0-5]: the method stays the one of the CONNECT.
  if (method !== st.authMethod) { fail(c, st, "protocol error: AUTH with another Authentication Method", RC_PROTOCOL_ERROR); return false; }
  if (m.ack === 0) {
    if (!st.connected) { fail(c, st, "protocol error: AUTH 0x00 before CONNACK", RC_PROTOCOL_ERROR); return false; }
    return true; // re-authentication succeeded
  }
  if (m.ack !== RC_CONTINUE_AUTH) { fail(c, st, `protocol error: AUTH reason 0x${m.ack.toString(16)} from the server`, RC_PROTOCOL_ERROR); return false; }
  if (st.auth === undefined) { fail(c, st, "the server continues authentication and mqttConnect has no `auth` callback", RC_UNSPECIFIED); return false; }
  const data = props.find((p) => p.id === MQTT_PROP_AUTHENTICATION_DATA)?.bin;
  let answer: string | Uint8Array | undefined;
  try {
    answer = st.auth({ method: st.authMethod!, data: data === undefined ? undefined : Buffer.from(data), reason: m.ack, reauth: st.connected });
  } catch (e) {
    fail(c, st, `the auth callback threw: ${(e as Error).message}`, RC_IMPLEMENTATION_ERROR);
    return false;
  }
  const out: MqttProperty[] = [{ id: MQTT_PROP_AUTHENTICATION_METHOD, val: st.authMethod! }];
  if (answer !== undefined) out.push({ id: MQTT_PROP_AUTHENTICATION_DATA, bin: typeof answer === "string" ? Buffer.from(answer) : answer });
  sendPacket(c, st, buildSimple(MQTT_CMD_AUTH, 5, RC_CONTINUE_AUTH, out));
  return true;
}
