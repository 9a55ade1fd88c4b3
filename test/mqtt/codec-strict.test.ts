// What the MQTT codec refuses on receipt beyond the grammar of each packet: variable byte
// integers not in their minimal encoding (Malformed Packet, [MQTT-1.5.5-1]), properties
// not allowed in the packet type (Malformed Packet, 5.0 section 2.2.2.2), properties
// given more than once and values out of range (Protocol Error, the "It is a Protocol
// Error to include ... more than once" of each property). A table of (bytes, level,
// verdict), each row also fed as it could arrive: every prefix is "need more" or the
// same verdict.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MqttPacket } from "../../src/index.js";
import { parseFixedHeader, parsePacket } from "../../src/mqtt/codec.js";
import { PROTOCOL_ERROR_PREFIX } from "../../src/mqtt/wire.js";
import { leakCheckAfterAll } from "../helpers.js";

type Want = "ok" | "malformed" | "protocol";
interface Row { name: string; hex: string; v: number; want: Want; re?: RegExp; check?: (m: MqttPacket) => void }

const h = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const TOPIC = "0003 612f62"; // "a/b"
/** An MQTT 5 CONNECT (clean start, keep alive 60, client id "c") with property block `props` (hex, with its length). */
const connect5 = (props: string): string => {
  const body = `0004 4d515454 05 02 003c ${props} 0001 63`;
  return `10 ${(h(body).length).toString(16).padStart(2, "0")} ${body}`;
};
/** An MQTT 5 CONNECT with a will (QoS 0) whose property block is `willProps`. */
const connectWill5 = (willProps: string): string => {
  const body = `0004 4d515454 05 06 003c 00 0001 63 ${willProps} 0001 77 0000`;
  return `10 ${(h(body).length).toString(16).padStart(2, "0")} ${body}`;
};
/** A packet of type/flags byte `b0` whose body is `body` (hex), the remaining length in one byte. */
const pkt = (b0: string, body: string): string => `${b0} ${(h(body).length).toString(16).padStart(2, "0")} ${body}`;
const UP = (k: string, v: string): string => `26 0001 ${k} 0001 ${v}`; // a user property of one-byte name and value

const rows: Row[] = [
  // ---- variable byte integers in their minimal encoding [MQTT-1.5.5-1] ----
  { name: "remaining length 0 in two bytes", hex: "c0 80 00", v: 4, want: "malformed", re: /minimal/ },
  { name: "remaining length 7 in two bytes (PUBLISH)", hex: `30 87 00 ${TOPIC} 00 7a`, v: 5, want: "malformed", re: /remaining length.*minimal/ },
  { name: "remaining length 2 in two bytes (3.1.1 PUBACK)", hex: "40 82 00 0007", v: 4, want: "malformed", re: /minimal/ },
  { name: "remaining length 128 in two bytes is minimal", hex: `30 80 01 ${TOPIC} ${"61".repeat(123)}`, v: 4, want: "ok", check: (m) => assert.equal(m.data.length, 123) },
  { name: "property length in two bytes", hex: pkt("30", `${TOPIC} 80 00 7a`), v: 5, want: "malformed", re: /property length.*minimal/ },
  { name: "property identifier in two bytes", hex: pkt("30", `${TOPIC} 03 81 00 01 7a`), v: 5, want: "malformed", re: /property identifier.*minimal/ },
  { name: "Subscription Identifier 1 in two bytes (SUBSCRIBE)", hex: pkt("82", `000a 03 0b 81 00 ${TOPIC} 01`), v: 5, want: "malformed", re: /minimal/ },
  { name: "Subscription Identifier 0 in two bytes (PUBLISH)", hex: pkt("30", `${TOPIC} 03 0b 80 00 7a`), v: 5, want: "malformed", re: /minimal/ },
  { name: "Subscription Identifier 128 in two bytes is minimal", hex: pkt("82", `000a 03 0b 80 01 ${TOPIC} 01`), v: 5, want: "ok", check: (m) => assert.equal(m.properties()[0]!.iv, 128) },
  // ---- a property more than once: Protocol Error (section 2.2.2.2 and each property's text) ----
  { name: "SUBSCRIBE: Subscription Identifier twice", hex: pkt("82", `000a 04 0b 01 0b 02 ${TOPIC} 01`), v: 5, want: "protocol", re: /0xb more than once/ },
  { name: "PUBLISH: Subscription Identifier twice (a server's, one per subscription)", hex: pkt("30", `${TOPIC} 04 0b 01 0b 02 7a`), v: 5, want: "ok", check: (m) => assert.deepEqual(m.properties().map((p) => p.iv), [1, 2]) },
  { name: "PUBLISH: User Property twice, order kept", hex: pkt("30", `${TOPIC} 0e ${UP("61", "62")} ${UP("61", "63")} 7a`), v: 5, want: "ok", check: (m) => assert.deepEqual(m.properties().map((p) => p.val), ["b", "c"]) },
  { name: "PUBLISH: Payload Format Indicator twice", hex: pkt("30", `${TOPIC} 04 01 00 01 01 7a`), v: 5, want: "protocol", re: /0x1 more than once/ },
  { name: "PUBLISH: Topic Alias twice", hex: pkt("30", `${TOPIC} 06 23 0001 23 0002 7a`), v: 5, want: "protocol", re: /0x23 more than once/ },
  { name: "PUBLISH: Message Expiry Interval twice", hex: pkt("30", `${TOPIC} 0a 02 0000000a 02 0000000b 7a`), v: 5, want: "protocol" },
  { name: "PUBLISH: Response Topic twice", hex: pkt("30", `${TOPIC} 08 08 0001 72 08 0001 73 7a`), v: 5, want: "protocol" },
  { name: "PUBLISH: Correlation Data twice", hex: pkt("30", `${TOPIC} 08 09 0001 01 09 0001 02 7a`), v: 5, want: "protocol" },
  { name: "PUBLISH: Content Type twice", hex: pkt("30", `${TOPIC} 08 03 0001 74 03 0001 74 7a`), v: 5, want: "protocol" },
  { name: "CONNECT: Receive Maximum twice", hex: connect5("06 21 0010 21 0020"), v: 4, want: "protocol", re: /0x21 more than once/ },
  { name: "CONNECT: Session Expiry Interval twice", hex: connect5("0a 11 0000000a 11 0000000a"), v: 4, want: "protocol" },
  { name: "CONNECT: Authentication Method twice", hex: connect5("08 15 0001 41 15 0001 42"), v: 4, want: "protocol" },
  { name: "CONNECT: Request Response Information twice", hex: connect5("04 19 01 19 01"), v: 4, want: "protocol" },
  { name: "CONNECT: Maximum Packet Size twice", hex: connect5("0a 27 00000100 27 00000100"), v: 4, want: "protocol" },
  { name: "CONNECT: Topic Alias Maximum twice", hex: connect5("06 22 0001 22 0001"), v: 4, want: "protocol" },
  { name: "CONNECT: User Property twice", hex: connect5(`0e ${UP("61", "62")} ${UP("61", "62")}`), v: 4, want: "ok", check: (m) => assert.equal(m.properties().length, 2) },
  { name: "will: Will Delay Interval twice", hex: connectWill5("0a 18 0000000a 18 00000001"), v: 4, want: "protocol", re: /will properties/ },
  { name: "will: Will Delay Interval once", hex: connectWill5("05 18 0000000a"), v: 4, want: "ok", check: (m) => assert.equal(m.connect!.will!.props[0]!.iv, 10) },
  { name: "CONNACK: Maximum QoS twice", hex: "20 07 00 00 04 24 00 24 01", v: 5, want: "protocol" },
  { name: "CONNACK: Assigned Client Identifier twice", hex: "20 0b 00 00 08 12 0001 61 12 0001 62", v: 5, want: "protocol" },
  { name: "CONNACK: Server Keep Alive twice", hex: "20 09 00 00 06 13 000a 13 000a", v: 5, want: "protocol" },
  { name: "PUBACK: Reason String twice", hex: pkt("40", "0007 00 08 1f 0001 61 1f 0001 62"), v: 5, want: "protocol" },
  { name: "PUBREL: Reason String twice", hex: pkt("62", "0007 00 08 1f 0001 61 1f 0001 62"), v: 5, want: "protocol" },
  { name: "SUBACK: Reason String twice", hex: pkt("90", "0007 08 1f 0001 61 1f 0001 62 00"), v: 5, want: "protocol" },
  { name: "DISCONNECT: Session Expiry Interval twice", hex: pkt("e0", "00 0a 11 0000000a 11 0000000a"), v: 5, want: "protocol" },
  { name: "DISCONNECT: Server Reference twice", hex: pkt("e0", "9c 08 1c 0001 73 1c 0001 73"), v: 5, want: "protocol" },
  { name: "AUTH: Authentication Data twice", hex: pkt("f0", "18 0c 15 0001 41 16 0001 01 16 0001 02"), v: 5, want: "protocol" },
  // ---- values the spec calls a Protocol Error ----
  { name: "PUBLISH: Payload Format Indicator 2", hex: pkt("30", `${TOPIC} 02 01 02 7a`), v: 5, want: "protocol", re: /not 0 or 1/ },
  { name: "SUBSCRIBE: Subscription Identifier 0 (section 3.8.2.1.2)", hex: pkt("82", `000a 02 0b 00 ${TOPIC} 01`), v: 5, want: "protocol", re: /value 0/ },
  { name: "CONNECT: Receive Maximum 0 (section 3.1.2.11.3)", hex: connect5("03 21 0000"), v: 4, want: "protocol" },
  { name: "CONNECT: Maximum Packet Size 0 (section 3.1.2.11.4)", hex: connect5("05 27 00000000"), v: 4, want: "protocol" },
  { name: "CONNECT: Request Problem Information 2 (section 3.1.2.11.7)", hex: connect5("02 17 02"), v: 4, want: "protocol" },
  { name: "CONNACK: Maximum QoS 2 (section 3.2.2.3.4)", hex: "20 05 00 00 02 24 02", v: 5, want: "protocol" },
  { name: "CONNACK: Retain Available 3", hex: "20 05 00 00 02 25 03", v: 5, want: "protocol" },
  { name: "CONNACK: Receive Maximum 0", hex: "20 06 00 00 03 21 0000", v: 5, want: "protocol" },
  // ---- a property not allowed in the packet type: Malformed Packet (section 2.2.2.2) ----
  { name: "PUBLISH: Session Expiry Interval", hex: pkt("30", `${TOPIC} 05 11 0000000a 7a`), v: 5, want: "malformed", re: /not allowed in packet type 3/ },
  { name: "PUBLISH: Will Delay Interval (will properties only)", hex: pkt("30", `${TOPIC} 05 18 0000000a 7a`), v: 5, want: "malformed", re: /not allowed/ },
  { name: "CONNECT: Topic Alias", hex: connect5("03 23 0001"), v: 4, want: "malformed", re: /not allowed in packet type 1/ },
  { name: "CONNECT: Will Delay Interval outside the will", hex: connect5("05 18 0000000a"), v: 4, want: "malformed" },
  { name: "will: Session Expiry Interval", hex: connectWill5("05 11 0000000a"), v: 4, want: "malformed", re: /not allowed in will properties/ },
  { name: "PUBACK: Topic Alias", hex: pkt("40", "0007 00 03 23 0001"), v: 5, want: "malformed" },
  { name: "UNSUBSCRIBE: Subscription Identifier", hex: pkt("a2", `000b 02 0b 01 ${TOPIC}`), v: 5, want: "malformed" },
  { name: "DISCONNECT: Receive Maximum", hex: pkt("e0", "00 03 21 0005"), v: 5, want: "malformed" },
  { name: "AUTH: Session Expiry Interval", hex: pkt("f0", "18 05 11 0000000a"), v: 5, want: "malformed" },
  { name: "CONNACK: Request Problem Information (CONNECT only)", hex: "20 05 00 00 02 17 01", v: 5, want: "malformed" },
  // ---- UTF-8 fields and fixed rules, one row per statement of docs/mqtt-conformance.md ----
  { name: "[MQTT-1.5.4-3] a topic starting with EF BB BF keeps U+FEFF", hex: `30 08 0006 efbbbf 612f62 7a`, v: 4, want: "ok", check: (m) => assert.equal(m.topic, "\ufeffa/b") },
  { name: "[MQTT-1.5.7-1] User Property name not UTF-8", hex: connect5(`07 26 0001 ff 0001 62`), v: 4, want: "malformed", re: /user property name.*UTF-8/ },
  { name: "[MQTT-1.5.7-1] User Property value not UTF-8", hex: pkt("30", `${TOPIC} 07 26 0001 61 0001 c0 7a`), v: 5, want: "malformed", re: /user property value.*UTF-8/ },
  { name: "[MQTT-3.1.2-11] Will QoS 1 without the Will Flag", hex: "10 0d 0004 4d515454 04 0a 003c 0001 63", v: 4, want: "malformed", re: /will flags/ },
  { name: "[MQTT-3.1.2-12] Will QoS 3", hex: "10 12 0004 4d515454 04 1e 003c 0001 63 0001 77 0000", v: 4, want: "malformed", re: /will flags/ },
  { name: "[MQTT-3.1.2-13] Will Retain without the Will Flag", hex: "10 0d 0004 4d515454 04 22 003c 0001 63", v: 4, want: "malformed", re: /will flags/ },
  { name: "[MQTT-3.1.2-12] Will QoS 2 with the Will Flag", hex: "10 12 0004 4d515454 04 16 003c 0001 63 0001 77 0000", v: 4, want: "ok", check: (m) => assert.equal(m.connect!.will!.qos, 2) },
  { name: "[MQTT-3.1.3-11] Will Topic not UTF-8", hex: "10 12 0004 4d515454 04 06 003c 0001 63 0001 fe 0000", v: 4, want: "malformed", re: /will topic.*UTF-8/ },
  { name: "[MQTT-3.1.3-12] User Name not UTF-8", hex: "10 10 0004 4d515454 04 82 003c 0001 63 0001 ff", v: 4, want: "malformed", re: /user name.*UTF-8/ },
  { name: "[MQTT-3.1.3-12] User Name with U+0000", hex: "10 11 0004 4d515454 04 82 003c 0001 63 0002 6100", v: 4, want: "malformed", re: /user name/ },
  { name: "[MQTT-3.3.2-13] Response Topic not UTF-8", hex: pkt("30", `${TOPIC} 04 08 0001 ff 7a`), v: 5, want: "malformed", re: /UTF-8/ },
  { name: "[MQTT-3.3.2-19] Content Type not UTF-8", hex: pkt("30", `${TOPIC} 05 03 0002 eda0 7a`), v: 5, want: "malformed", re: /UTF-8/ },
  { name: "[MQTT-3.8.3-1] SUBSCRIBE filter not UTF-8", hex: pkt("82", `000a 0003 61ff62 01`), v: 4, want: "malformed", re: /topic filter.*UTF-8/ },
  { name: "[MQTT-3.10.3-1] UNSUBSCRIBE filter not UTF-8", hex: pkt("a2", `000b 0003 61ff62`), v: 4, want: "malformed", re: /topic filter.*UTF-8/ },
  { name: "[MQTT-3.15.1-1] AUTH with flags 0001", hex: "f1 02 18 00", v: 5, want: "malformed", re: /bad flags/ },
  { name: "[MQTT-3.15.1-1] AUTH with flags 1000", hex: "f8 00", v: 5, want: "malformed", re: /bad flags/ },
  { name: "unknown property identifier 0x7f", hex: pkt("30", `${TOPIC} 02 7f 00 7a`), v: 5, want: "malformed", re: /unknown property/ },
];

type Verdict = "more" | { want: Exclude<Want, "ok">; why: string } | MqttPacket;

function verdict(buf: Buffer, v: number): Verdict {
  const fh = parseFixedHeader(buf);
  if (fh === 0) return "more";
  if (typeof fh === "string") return { want: "malformed", why: fh };
  if (buf.length < fh.total) return "more";
  const m = parsePacket(buf.subarray(0, fh.total), fh, v);
  if (typeof m !== "string") return m;
  return { want: m.startsWith(PROTOCOL_ERROR_PREFIX) ? "protocol" : "malformed", why: m };
}

const show = (x: Verdict): string => (x === "more" ? "more" : x instanceof MqttPacket ? `packet ${x.cmd}` : `${x.want}: ${x.why}`);

for (const row of rows) {
  test(`MQTT strict codec: ${row.name} -> ${row.want}`, () => {
    const bytes = h(row.hex);
    const whole = verdict(bytes, row.v);
    if (row.want === "ok") {
      assert.ok(whole instanceof MqttPacket, `expected a packet, got ${show(whole)}`);
      row.check?.(whole);
    } else {
      assert.ok(whole !== "more" && !(whole instanceof MqttPacket), `expected a refusal, got ${show(whole)}`);
      assert.equal(whole.want, row.want, whole.why);
      if (row.re !== undefined) assert.match(whole.why, row.re);
    }
    // Split at every byte boundary: a prefix says "need more" or already gives the same verdict.
    for (let i = 0; i < bytes.length; i++) {
      const p = verdict(bytes.subarray(0, i), row.v);
      if (p === "more") continue;
      assert.equal(show(p), show(whole), `prefix of ${i} bytes`);
    }
    // A packet right behind does not change the verdict.
    assert.equal(show(verdict(Buffer.concat([bytes, h("c0 00")]), row.v)), show(whole));
  });
}

leakCheckAfterAll();
