// Fuzz target for the MQTT codec (src/mqtt/parser.ts): random valid packets of every
// type, for 3.1.1 and 5.0, built by src/mqtt/builder.ts, must parse back to what was
// built; then mutated copies, between valid neighbours, must only ever give a packet,
// "need more bytes" (0) or a malformed-packet message, never a throw, and the same
// verdicts whether the stream arrives whole or split at random points.
import {
  MQTT_CMD_AUTH, MQTT_CMD_CONNACK, MQTT_CMD_CONNECT, MQTT_CMD_DISCONNECT, MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP,
  MQTT_CMD_PUBACK, MQTT_CMD_PUBCOMP, MQTT_CMD_PUBLISH, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_SUBACK,
  MQTT_CMD_SUBSCRIBE, MQTT_CMD_UNSUBACK, MQTT_CMD_UNSUBSCRIBE, MQTT_PROP_TYPE_BINARY_DATA, MQTT_PROP_TYPE_BYTE,
  MQTT_PROP_TYPE_INT, MQTT_PROP_TYPE_SHORT, MQTT_PROP_TYPE_STRING, MQTT_PROP_TYPE_STRING_PAIR,
  MQTT_PROP_TYPE_VARIABLE_INT, mqttPropType,
} from "../../src/mqtt/constants.js";
import { buildAck, buildConnack, buildConnect, buildPublish, buildSimple, buildSubAck, buildSubscribe } from "../../src/mqtt/builder.js";
import { MqttPacket, type MqttProperty } from "../../src/mqtt/message.js";
import { parseFixedHeader, parsePacket, type FixedHeader } from "../../src/mqtt/parser.js";
import { mqttPropAllowed, mqttPropRepeats, PROPS_WILL } from "../../src/mqtt/props.js";
import { failure, mutate, Rng, splitPoints } from "./mutate.js";

// Every property identifier MQTT 5 defines (section 2.2.2.2).
const PROP_IDS = [
  0x01, 0x02, 0x03, 0x08, 0x09, 0x0b, 0x11, 0x12, 0x13, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1c, 0x1f, 0x21, 0x22,
  0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a,
];
// Characters for strings: ASCII, 2-, 3- and 4-byte UTF-8, and the level separator.
const CHARS = ["a", "b", "z", "0", "/", "/", "_", " ", "é", "日", "😀"];

function str(r: Rng, max: number, chars: readonly string[] = CHARS): string {
  let s = "";
  for (let n = r.length(max); n > 0; n--) s += r.pick(chars);
  return s;
}

// Byte properties whose value is 0 or 1, and integer ones that are never 0 (a Protocol Error otherwise).
const FLAG_PROPS = new Set([0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a]);
const NONZERO_PROPS = new Set([0x0b, 0x21, 0x27]);

/** Valid properties for packet type `ctx` (or PROPS_WILL): allowed there, each once unless it may repeat. */
function props(r: Rng, v: number, ctx: number): MqttProperty[] | undefined {
  if (v < 5 || r.chance(0.4)) return undefined;
  const out: MqttProperty[] = [];
  const ids = PROP_IDS.filter((id) => mqttPropAllowed(ctx, id));
  for (let n = r.range(0, 4); n > 0; n--) {
    const id = r.pick(ids);
    if (!mqttPropRepeats(ctx, id) && out.some((p) => p.id === id)) continue;
    const nz = (x: number): number => (NONZERO_PROPS.has(id) && x === 0 ? 1 : x);
    switch (mqttPropType(id)) {
      case MQTT_PROP_TYPE_BYTE: out.push({ id, iv: FLAG_PROPS.has(id) ? r.int(2) : r.int(256) }); break;
      case MQTT_PROP_TYPE_SHORT: out.push({ id, iv: nz(r.int(65536)) }); break;
      case MQTT_PROP_TYPE_INT: out.push({ id, iv: nz(r.pick([0, 1, 0xffffffff, r.u32()])) }); break;
      case MQTT_PROP_TYPE_VARIABLE_INT: out.push({ id, iv: nz(r.pick([0, 127, 128, 16384, 268_435_455, r.int(268_435_456)])) }); break;
      case MQTT_PROP_TYPE_STRING: out.push({ id, val: str(r, 40) }); break;
      case MQTT_PROP_TYPE_BINARY_DATA: out.push({ id, bin: r.bytes(r.length(40)) }); break;
      case MQTT_PROP_TYPE_STRING_PAIR: out.push({ id, key: str(r, 20), val: str(r, 20) }); break;
    }
  }
  return out;
}

/** A property as the parser returns it, as one comparable string. */
function propKey(p: MqttProperty): string {
  const bin = p.bin === undefined ? "" : Buffer.from(p.bin).toString("hex");
  const val = p.bin !== undefined ? Buffer.from(p.bin).toString("utf8") : p.val ?? "";
  return `${p.id}|${p.iv ?? ""}|${p.key ?? ""}|${val}|${bin}`;
}
const propsKey = (ps: readonly MqttProperty[] | undefined): string => (ps ?? []).map(propKey).join(";");

/** A valid packet and what parsing it must give back (a mismatch description, or undefined). */
interface Built { pkt: Buffer; version: number; check(m: MqttPacket): string | undefined }

/** Names the first field that differs, or undefined. */
function diff(fields: Record<string, [unknown, unknown]>): string | undefined {
  for (const [name, [got, want]] of Object.entries(fields)) {
    if (got !== want) return `${name}: parsed ${JSON.stringify(got)}, built ${JSON.stringify(want)}`;
  }
  return undefined;
}

const bhex = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString("hex"));

function randomPacket(r: Rng): Built {
  const v = r.chance(0.5) ? 5 : 4;
  const kind = r.int(11);
  // The packet type each case builds (acks, SUBSCRIBE/UNSUBSCRIBE, ... share the properties they allow).
  const ctx = [MQTT_CMD_CONNECT, MQTT_CMD_CONNACK, MQTT_CMD_PUBLISH, MQTT_CMD_PUBLISH, MQTT_CMD_PUBACK, MQTT_CMD_SUBSCRIBE, MQTT_CMD_SUBSCRIBE,
    MQTT_CMD_SUBACK, MQTT_CMD_PINGREQ, MQTT_CMD_DISCONNECT, MQTT_CMD_DISCONNECT][kind]!;
  const ps = props(r, v, ctx);
  switch (kind) {
    case 0: {
      const version = r.pick([3, 4, 5]);
      const cp = props(r, version, MQTT_CMD_CONNECT);
      const will = r.chance(0.4) ? {
        topic: "w" + str(r, 30), message: r.bytes(r.length(100)), qos: r.int(3), retain: r.chance(0.5), props: props(r, version, PROPS_WILL),
      } : undefined;
      const f = {
        version, clientId: str(r, 23), keepAlive: r.pick([0, 60, 65535, r.int(65536)]), clean: r.chance(0.5),
        ...(r.chance(0.5) ? { user: str(r, 20) } : {}), ...(r.chance(0.5) ? { pass: r.bytes(r.length(30)) } : {}),
        ...(will ? { will } : {}), ...(cp ? { props: cp } : {}),
      };
      return {
        pkt: buildConnect(f), version: 4,
        check: (m) => {
          const c = m.connect;
          if (c === undefined) return "no connect info";
          return diff({
            cmd: [m.cmd, MQTT_CMD_CONNECT], version: [c.version, version], packetVersion: [m.version, version], clientId: [c.clientId, f.clientId],
            keepAlive: [c.keepAlive, f.keepAlive], clean: [c.clean, f.clean], user: [c.user, f.user], pass: [bhex(c.pass), bhex(f.pass)],
            props: [propsKey(m.properties()), propsKey(version >= 5 ? cp : undefined)],
            willTopic: [c.will?.topic, will?.topic], willMessage: [bhex(c.will?.message), bhex(will?.message)],
            willQos: [c.will?.qos, will?.qos], willRetain: [c.will?.retain, will?.retain],
            willProps: [c.will === undefined ? undefined : propsKey(c.will.props), will === undefined ? undefined : propsKey(version >= 5 ? will.props : undefined)],
          });
        },
      };
    }
    case 1: {
      const sp = r.chance(0.5), code = r.int(256);
      return { pkt: buildConnack(v, sp, code, ps), version: v, check: (m) => diff({ cmd: [m.cmd, MQTT_CMD_CONNACK], sessionPresent: [m.sessionPresent, sp], ack: [m.ack, code], props: [propsKey(m.properties()), propsKey(ps)] }) };
    }
    case 2: case 3: {
      const qos = r.int(3), retain = r.chance(0.3), dup = r.chance(0.2), id = qos > 0 ? r.range(1, 65535) : 0;
      const topic = v >= 5 && r.chance(0.05) ? "" : "t" + str(r, 60);
      const payload = r.bytes(r.length(20000));
      return {
        pkt: buildPublish(v, topic, payload, qos, retain, dup, id, ps), version: v,
        check: (m) => diff({
          cmd: [m.cmd, MQTT_CMD_PUBLISH], topic: [m.topic, topic], qos: [m.qos, qos], retain: [m.retain, retain], dup: [m.dup, dup],
          id: [m.id, id], data: [bhex(m.data), bhex(payload)], props: [propsKey(m.properties()), propsKey(ps)],
        }),
      };
    }
    case 4: {
      const cmd = r.pick([MQTT_CMD_PUBACK, MQTT_CMD_PUBREC, MQTT_CMD_PUBREL, MQTT_CMD_PUBCOMP]);
      const id = r.int(65536), reason = v >= 5 && r.chance(0.5) ? r.int(256) : 0;
      return {
        pkt: buildAck(cmd, v, id, reason, ps), version: v,
        check: (m) => diff({ cmd: [m.cmd, cmd], flags: [m.flags, cmd === MQTT_CMD_PUBREL ? 2 : 0], id: [m.id, id], ack: [m.ack, reason], props: [propsKey(m.properties()), propsKey(ps)] }),
      };
    }
    case 5: case 6: {
      const cmd = r.chance(0.6) ? MQTT_CMD_SUBSCRIBE : MQTT_CMD_UNSUBSCRIBE;
      const id = r.range(1, 65535);
      const ps = props(r, v, cmd); // UNSUBSCRIBE takes no Subscription Identifier
      const filters: { topic: string; options: number }[] = [];
      for (let n = r.range(1, 4); n > 0; n--) {
        // 3.1.1: QoS only; 5.0 adds no local (4), retain as published (8), retain handling 0-2 (bits 4-5).
        const options = cmd === MQTT_CMD_UNSUBSCRIBE ? 0 : r.int(3) | (v >= 5 ? (r.int(2) * 4) | (r.int(2) * 8) | (r.int(3) << 4) : 0);
        filters.push({ topic: "f" + str(r, 30, [...CHARS, "+", "#"]), options });
      }
      return {
        pkt: buildSubscribe(cmd, v, id, filters, ps), version: v,
        check: (m) => diff({
          cmd: [m.cmd, cmd], id: [m.id, id], props: [propsKey(m.properties()), propsKey(ps)],
          filters: [JSON.stringify(m.filters), JSON.stringify(filters.map((f) => ({ topic: f.topic, qos: f.options & 3, options: f.options })))],
        }),
      };
    }
    case 7: {
      const cmd = r.chance(0.5) ? MQTT_CMD_SUBACK : MQTT_CMD_UNSUBACK;
      const id = r.int(65536), codes = [...r.bytes(r.range(1, 5))];
      const sent = cmd === MQTT_CMD_UNSUBACK && v < 5 ? [] : codes;
      return {
        pkt: buildSubAck(cmd, v, id, codes, ps), version: v,
        check: (m) => diff({ cmd: [m.cmd, cmd], id: [m.id, id], data: [bhex(m.data), bhex(Buffer.from(sent))], ack: [m.ack, sent[0] ?? 0], props: [propsKey(m.properties()), propsKey(ps)] }),
      };
    }
    case 8: {
      const cmd = r.pick([MQTT_CMD_PINGREQ, MQTT_CMD_PINGRESP]);
      return { pkt: buildSimple(cmd, v), version: v, check: (m) => diff({ cmd: [m.cmd, cmd], length: [m.dgram.length, 2] }) };
    }
    default: {
      const cmd = v >= 5 && r.chance(0.3) ? MQTT_CMD_AUTH : MQTT_CMD_DISCONNECT;
      const reason = v >= 5 && r.chance(0.5) ? r.int(256) : 0;
      const ps = props(r, v, cmd);
      return {
        pkt: buildSimple(cmd, v, reason, ps), version: v,
        check: (m) => diff({ cmd: [m.cmd, cmd], ack: [m.ack, reason], props: [propsKey(m.properties()), propsKey(ps)] }),
      };
    }
  }
}

/** Everything a parsed packet shows a handler, as one string (reading it all must not throw). */
function describe(m: MqttPacket): string {
  const c = m.connect;
  const conn = c === undefined ? "" : JSON.stringify([c.version, c.clientId, c.clean, c.keepAlive, c.user, bhex(c.pass),
    c.will === undefined ? undefined : [c.will.topic, bhex(c.will.message), c.will.qos, c.will.retain, propsKey(c.will.props)]]);
  return [m.cmd, m.flags, m.version, m.id, m.qos, m.ack, m.retain, m.dup, m.sessionPresent, m.topic, bhex(m.data), m.text.length,
    propsKey(m.properties()), JSON.stringify(m.filters), conn, m.dgram.length].join(",");
}

/** Checks the shape of a fixed header verdict; a description of what is wrong, or undefined. */
function badHeader(h: FixedHeader | 0 | string): string | undefined {
  if (h === 0) return undefined;
  if (typeof h === "string") return h.length > 0 ? undefined : "empty error message";
  if (!(h.cmd >= 1 && h.cmd <= 15 && h.flags >= 0 && h.flags <= 15)) return `bad cmd/flags ${h.cmd}/${h.flags}`;
  if (!(h.headerLen >= 2 && h.headerLen <= 5 && h.total >= h.headerLen)) return `bad lengths ${h.headerLen}/${h.total}`;
  return undefined;
}

/**
 * The receive loop of src/mqtt/receiver.ts without a connection: appends each chunk,
 * parses every complete packet, stops at the first malformed one. The verdicts, and how
 * many bytes wait for more, must not depend on the chunking.
 */
function receive(chunks: readonly Buffer[], version: number): string {
  const out: string[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let v = version;
  for (const chunk of chunks) {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    for (;;) {
      const h = parseFixedHeader(buf);
      const bad = badHeader(h);
      if (bad !== undefined) throw new Error(`parseFixedHeader: ${bad}`);
      if (h === 0) break;
      if (typeof h === "string") return [...out, `header error: ${h}`].join("\n");
      if (buf.length < h.total) break;
      const m = parsePacket(buf.subarray(0, h.total), h, v);
      if (typeof m === "string") {
        if (m.length === 0) throw new Error("parsePacket: empty error message");
        return [...out, `packet error: ${m}`].join("\n");
      }
      if (!(m instanceof MqttPacket) || m.dgram.length !== h.total) throw new Error("parsePacket: not a packet of the header's length");
      if (m.connect !== undefined) v = m.connect.version;
      out.push(describe(m));
      buf = buf.subarray(h.total);
    }
  }
  return [...out, `pending ${buf.length}`].join("\n");
}

/** The header verdict of every prefix: 0 until the header is complete, then the whole input's verdict. */
function prefixProblem(input: Buffer): string | undefined {
  const whole = parseFixedHeader(input);
  const want = JSON.stringify(whole);
  for (let k = 0; k <= Math.min(input.length, 6); k++) {
    const p = parseFixedHeader(input.subarray(0, k));
    if (p !== 0 && JSON.stringify(p) !== want) return `prefix of ${k} bytes gives ${JSON.stringify(p)}, the whole input ${want}`;
  }
  return undefined;
}

/**
 * A mutated packet with its remaining length set to the bytes that follow, so that the
 * mutation reaches the variable header and payload parsers instead of "need more".
 * Input whose first bytes are not a fixed header is returned as it is.
 */
function refit(b: Buffer): Buffer {
  let k = 1;
  while (k < 5 && k < b.length && (b[k]! & 0x80) !== 0) k++;
  if (k >= 5 || k >= b.length) return b;
  const body = b.subarray(k + 1);
  const head = [b[0]!];
  let n = body.length;
  do { head.push((n % 128) | (n >= 128 ? 0x80 : 0)); n = Math.floor(n / 128); } while (n > 0);
  return Buffer.concat([Buffer.from(head), body]);
}

export function fuzz(iterations: number, seed: number): void {
  const r = new Rng(seed);
  for (let i = 0; i < iterations; i++) {
    const b = randomPacket(r);
    let input = b.pkt;
    try {
      // The valid packet parses back to what was built.
      const h = parseFixedHeader(b.pkt);
      if (h === 0 || typeof h === "string" || h.total !== b.pkt.length) throw failure("mqtt", i, `valid packet: header ${JSON.stringify(h)}`, b.pkt);
      const m = parsePacket(b.pkt, h, b.version);
      if (typeof m === "string") throw failure("mqtt", i, `valid packet refused: ${m}`, b.pkt);
      const wrong = b.check(m);
      if (wrong !== undefined) throw failure("mqtt", i, `valid packet parsed wrong: ${wrong}`, b.pkt);

      // A mutated copy, maybe between valid packets, whole and split.
      const bad = r.chance(0.5) ? refit(mutate(r, b.pkt)) : mutate(r, b.pkt);
      const before = r.chance(0.3) ? randomPacket(r).pkt : undefined;
      const after = r.chance(0.3) ? randomPacket(r).pkt : undefined;
      // A CONNECT in front sets the version the rest is parsed with, as on a server.
      input = Buffer.concat([before ?? Buffer.alloc(0), bad, after ?? Buffer.alloc(0)]);
      const prefix = prefixProblem(bad);
      if (prefix !== undefined) throw failure("mqtt", i, prefix, bad);
      const whole = receive([input], b.version);
      const pts = splitPoints(r, input.length);
      const chunks: Buffer[] = [];
      let at = 0;
      for (const p of pts) { chunks.push(input.subarray(at, p)); at = p; }
      chunks.push(input.subarray(at));
      const split = receive(chunks, b.version);
      if (split !== whole) {
        throw failure("mqtt", i, `split at ${pts.join(",")} gives\n${split}\n  whole input gives\n${whole}`, input);
      }
    } catch (e) {
      if (e instanceof Error && e.message.startsWith("mqtt: iteration")) throw e;
      throw failure("mqtt", i, `threw ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`, input, e);
    }
  }
}
