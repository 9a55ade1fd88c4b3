// Packet parsing (MQTT 3.1.1 chapter 3, MQTT 5.0 chapter 3). The fixed header is read
// from the receive buffer first (type, flags, remaining length); once the whole packet
// is there, its variable header and payload are parsed into an MqttPacket of views.
import {
  MQTT_CMD_AUTH, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP,
  MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK,
  MQTT_CMD_SUBSCRIBE, MQTT_CMD_UNSUBACK, MQTT_CMD_UNSUBSCRIBE,
} from "./constants.js";
import { MqttPacket, type MqttConnectInfo, type MqttTopicFilter, type MqttWill } from "./message.js";
import { decodeProps, PROPS_WILL, readPropsBlock } from "./props.js";
import { MqttParseError, Reader, readVarint } from "./wire.js";
import { readTopic, type TopicCache } from "./topic-cache.js";

/** A fixed header: the packet starts at 0 and is `total` bytes long. */
export interface FixedHeader { cmd: number; flags: number; headerLen: number; total: number }

/**
 * Reads the fixed header at the start of `buf`: the header, 0 when more bytes are
 * needed, or a string saying why the input is malformed.
 */
export function parseFixedHeader(buf: Buffer): FixedHeader | 0 | string {
  const h: FixedHeader = { cmd: 0, flags: 0, headerLen: 0, total: 0 };
  const v = readFixedHeader(buf, h);
  return v === 1 ? h : v;
}

/**
 * parseFixedHeader() of the packet at `at` into `h` (the receive loop reuses one object
 * rather than making one per packet; `h.total` counts from `at`): 1 when `h` is filled,
 * 0 when more bytes are needed, or why it is malformed.
 */
export function readFixedHeader(buf: Buffer, h: FixedHeader, at = 0): 1 | 0 | string {
  if (buf.length - at < 2) return 0;
  const b0 = buf[at]!;
  const cmd = b0 >> 4, flags = b0 & 0x0f;
  if (cmd === 0) return "reserved packet type 0";
  const b1 = buf[at + 1]!;
  let headerLen = 2, total = 2 + b1; // one length byte (most packets)
  if (b1 >= 0x80) {
    const r = readVarint(buf, at + 1);
    if (r === 0) return 0;
    if (r === -1) return "remaining length longer than 4 bytes";
    if (r === -2) return "remaining length not in its minimal encoding [MQTT-1.5.5-1]";
    headerLen = 1 + r[1];
    total = headerLen + r[0];
  }
  h.cmd = cmd; h.flags = flags; h.headerLen = headerLen; h.total = total;
  return 1;
}

/**
 * The protocol level a CONNECT says (section 3.1.2.2) when its protocol name is "MQTT",
 * else 0: read from a CONNECT the parser refused, for the server to answer MQTT 5 ones
 * with CONNACK 0x81 or 0x82 (section 3.1.4, 4.13.1).
 */
export function connectLevel(pkt: Buffer, h: FixedHeader): number {
  const at = h.headerLen;
  // (`pkt` may go on with the packets after this one: only its own `h.total` bytes count.)
  if (h.cmd !== MQTT_CMD_CONNECT || Math.min(pkt.length, h.total) < at + 7 || pkt.readUInt16BE(at) !== 4 || pkt.toString("latin1", at + 2, at + 6) !== "MQTT") return 0;
  return pkt[at + 6]!;
}

/** Fixed header flags every type but PUBLISH must carry (3.1.1 section 2.2.2). */
function requiredFlags(cmd: number): number {
  return cmd === MQTT_CMD_PUBREL || cmd === MQTT_CMD_SUBSCRIBE || cmd === MQTT_CMD_UNSUBSCRIBE ? 2 : 0;
}

/**
 * Parses one whole packet (its fixed header at `at` in `pkt`; bytes past its `h.total`,
 * the packets after it, are not read) for protocol level `version`: an MqttPacket, or a
 * string saying what is malformed. `topics`: the connection's last PUBLISH topic
 * (topic-cache.ts), to reuse its string.
 */
export function parsePacket(pkt: Buffer, h: FixedHeader, version: number, topics?: TopicCache, at = 0): MqttPacket | string {
  try {
    return parse(pkt, h, version, topics, at);
  } catch (e) {
    if (e instanceof MqttParseError) return e.message;
    throw e;
  }
}

function parse(pkt: Buffer, h: FixedHeader, version: number, topics: TopicCache | undefined, at: number): MqttPacket {
  const { cmd, flags } = h;
  // Its bytes are pkt[at, end) (their view is made if asked for: MqttPacket.dgram); a
  // `pkt` cut short is read to its end, and refused there as truncated.
  const end = at + h.total < pkt.length ? at + h.total : pkt.length;
  const m = MqttPacket._of(cmd, flags, pkt, at, end);
  m.version = version;
  const v5 = version >= 5;
  if (cmd !== MQTT_CMD_PUBLISH && flags !== requiredFlags(cmd)) throw new MqttParseError(`bad flags 0x${flags.toString(16)} for packet type ${cmd}`);
  // An ack that is just its packet identifier (every 3.1.1 one; MQTT 5 with success and no
  // properties): what the general case below reads, without a Reader.
  if (end - at === 4 && cmd >= MQTT_CMD_PUBACK && cmd <= MQTT_CMD_PUBCOMP) {
    m.id = (pkt[at + 2]! << 8) | pkt[at + 3]!;
    return m;
  }
  const r = new Reader(pkt, at + h.headerLen, end);
  switch (cmd) {
    case MQTT_CMD_CONNECT:
      m.connect = parseConnect(r, m);
      break;
    case MQTT_CMD_CONNACK:
      m.sessionPresent = (r.u8("acknowledge flags") & 1) === 1;
      m.ack = r.u8("return code");
      if (v5 && r.left > 0) m.props = readPropsBlock(r, cmd);
      break;
    case MQTT_CMD_PUBLISH: {
      m.qos = (flags >> 1) & 3;
      if (m.qos === 3) throw new MqttParseError("PUBLISH with QoS 3");
      m.dup = (flags & 8) !== 0;
      m.retain = (flags & 1) !== 0;
      m.topic = topics === undefined ? r.str("topic") : readTopic(r, topics);
      // Topic names carry no wildcards (section 4.7.1); only MQTT 5 allows an empty one (topic alias).
      // (The connection's cached topic passed these checks when it was cached.)
      if (topics === undefined || !topics.hit) {
        if (m.topic.includes("+") || m.topic.includes("#")) throw new MqttParseError("wildcard in a PUBLISH topic");
        if (m.topic.length === 0 && !v5) throw new MqttParseError("empty PUBLISH topic");
      }
      if (m.qos > 0) {
        m.id = r.u16("packet identifier");
        if (m.id === 0) throw new MqttParseError("packet identifier 0");
      }
      if (v5) m.props = readPropsBlock(r, cmd);
      m.data = r.rest();
      break;
    }
    case MQTT_CMD_PUBACK: case MQTT_CMD_PUBREC: case MQTT_CMD_PUBREL: case MQTT_CMD_PUBCOMP:
      m.id = r.u16("packet identifier");
      if (v5) {
        if (r.left > 0) m.ack = r.u8("reason code");
        if (r.left > 0) m.props = readPropsBlock(r, cmd);
      }
      break;
    case MQTT_CMD_SUBSCRIBE: case MQTT_CMD_UNSUBSCRIBE: {
      m.id = r.u16("packet identifier");
      if (m.id === 0) throw new MqttParseError("packet identifier 0");
      if (v5) m.props = readPropsBlock(r, cmd);
      m.data = pkt.subarray(r.pos, end);
      const filters: MqttTopicFilter[] = [];
      while (r.left > 0) {
        const topic = r.str("topic filter");
        if (topic.length === 0) throw new MqttParseError("empty topic filter");
        let options = 0;
        if (cmd === MQTT_CMD_SUBSCRIBE) {
          options = r.u8("subscription options");
          // 3.1.1: reserved bits 2-7 are 0; 5.0: bits 6-7 are 0 and retain handling is not 3.
          if ((options & 3) === 3 || (options & (v5 ? 0xc0 : 0xfc)) !== 0 || (options & 0x30) === 0x30) {
            throw new MqttParseError(`bad subscription options 0x${options.toString(16)}`);
          }
        }
        filters.push({ topic, qos: options & 3, options });
      }
      if (filters.length === 0) throw new MqttParseError(`${cmd === MQTT_CMD_SUBSCRIBE ? "SUBSCRIBE" : "UNSUBSCRIBE"} without topic filters`);
      m.filters = filters;
      break;
    }
    case MQTT_CMD_SUBACK: case MQTT_CMD_UNSUBACK:
      m.id = r.u16("packet identifier");
      if (v5) m.props = readPropsBlock(r, cmd);
      m.data = r.rest();
      if (m.data.length > 0) m.ack = m.data[0]!;
      break;
    case MQTT_CMD_PINGREQ: case MQTT_CMD_PINGRESP:
      break;
    case MQTT_CMD_DISCONNECT: case MQTT_CMD_AUTH:
      if (cmd === MQTT_CMD_AUTH && !v5) throw new MqttParseError("AUTH packet in MQTT 3.1.1");
      if (v5) {
        if (r.left > 0) m.ack = r.u8("reason code");
        if (r.left > 0) m.props = readPropsBlock(r, cmd);
      }
      break;
    default:
      throw new MqttParseError(`unknown packet type ${cmd}`);
  }
  if (r.left > 0) throw new MqttParseError(`${r.left} unexpected bytes at the end of packet type ${cmd}`);
  return m;
}

/** How a CONNECT at a protocol level we do not support is reported (the server answers CONNACK 0x01). */
export const UNSUPPORTED_LEVEL = "unsupported protocol level of";

function parseConnect(r: Reader, m: MqttPacket): MqttConnectInfo {
  const name = r.str("protocol name");
  const version = r.u8("protocol level");
  if (!((name === "MQTT" && (version === 4 || version === 5)) || (name === "MQIsdp" && version === 3))) {
    // A known name at a level we do not speak gets CONNACK 0x01 from the server (3.1.1
    // [MQTT-3.1.2-2]); any other name is just closed ([MQTT-3.1.2-1]).
    const known = name === "MQTT" || name === "MQIsdp";
    throw new MqttParseError(`${known ? UNSUPPORTED_LEVEL : "unsupported protocol"} ${JSON.stringify(name)} level ${version}`);
  }
  m.version = version;
  const f = r.u8("connect flags");
  if ((f & 1) !== 0) throw new MqttParseError("reserved connect flag set");
  const hasWill = (f & 4) !== 0, willQos = (f >> 3) & 3, willRetain = (f & 0x20) !== 0;
  if (willQos === 3 || (!hasWill && (willQos !== 0 || willRetain))) throw new MqttParseError("bad will flags");
  const keepAlive = r.u16("keep alive");
  if (version >= 5) m.props = readPropsBlock(r, MQTT_CMD_CONNECT);
  const clientId = r.str("client identifier");
  let will: MqttWill | undefined;
  if (hasWill) {
    const props = version >= 5 ? decodeProps(readPropsBlock(r, PROPS_WILL)) : [];
    const topic = r.str("will topic");
    if (topic.length === 0 || topic.includes("+") || topic.includes("#")) throw new MqttParseError("bad will topic");
    will = { topic, message: r.bin("will message"), qos: willQos, retain: willRetain, props };
  }
  const user = (f & 0x80) !== 0 ? r.str("user name") : undefined;
  const pass = (f & 0x40) !== 0 ? r.bin("password") : undefined;
  return { version, clientId, clean: (f & 2) !== 0, keepAlive, user, pass, will };
}
