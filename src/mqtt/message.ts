// An MQTT packet as handlers receive it (MG_EV_MQTT_CMD for every packet, MG_EV_MQTT_MSG
// for PUBLISH). Fields are views over the received bytes (they stay valid).
import { decodeProps, type MqttProperty } from "./props.js";

export type { MqttProperty };

/** The will of a CONNECT packet. */
export interface MqttWill {
  /** The will's topic. */
  topic: string;
  /** The will's payload. */
  message: Buffer;
  /** The will's QoS (0, 1 or 2). */
  qos: number;
  /** The will is to be published as a retained message. */
  retain: boolean;
  /** MQTT 5 will properties. */
  props: MqttProperty[];
}

/** What a CONNECT packet carries (server side: MqttMessage.connect). */
export interface MqttConnectInfo {
  /** Protocol level: 3 (3.1), 4 (3.1.1) or 5. */
  version: number;
  /** The client identifier (may be "" with a clean session: the broker then assigns one). */
  clientId: string;
  /** Clean session (3.1.1) / clean start (MQTT 5). */
  clean: boolean;
  /** Keep alive, in seconds (0: off). */
  keepAlive: number;
  /** The user name, when CONNECT has one. */
  user: string | undefined;
  /** The password, when CONNECT has one. */
  pass: Buffer | undefined;
  /** The will message, when CONNECT has one. */
  will: MqttWill | undefined;
}

/** One topic filter of a SUBSCRIBE (or UNSUBSCRIBE, with qos 0). */
export interface MqttTopicFilter {
  /** The topic filter (wildcards `+` and `#` allowed). */
  topic: string;
  /** Requested QoS (bits 0-1 of the subscription options). */
  qos: number;
  /** The whole subscription options byte (MQTT 5: no local, retain as published, retain handling). */
  options: number;
}

/** An MQTT packet as handlers receive it: `data` of MG_EV_MQTT_CMD (every packet) and MG_EV_MQTT_MSG (PUBLISH). */
export interface MqttMessage {
  /** PUBLISH: the topic. Empty for other packets. */
  topic: string;
  /** PUBLISH: the payload. Other packets: the bytes after the variable header (SUBACK codes, ...). */
  data: Buffer;
  /** `data` as UTF-8. */
  text: string;
  /** Packet identifier (0 when the packet has none). */
  id: number;
  /** MQTT_CMD_*. */
  cmd: number;
  /** PUBLISH: the QoS (0, 1 or 2); 0 for other packets. */
  qos: number;
  /** CONNACK return code; MQTT 5 reason code of acks, DISCONNECT, AUTH. */
  ack: number;
  /** PUBLISH: the retain flag. */
  retain: boolean;
  /** MQTT 5 properties of the packet. */
  properties(): MqttProperty[];
  /** CONNECT (server side): what it carries. */
  connect?: MqttConnectInfo | undefined;
  /** SUBSCRIBE / UNSUBSCRIBE (server side): the topic filters. */
  filters?: MqttTopicFilter[] | undefined;
}

const EMPTY = Buffer.alloc(0);

/** The packet handed to handlers; MqttMessage plus what the layer parsed for servers. */
export class MqttPacket implements MqttMessage {
  topic = "";
  data: Buffer = EMPTY;
  id = 0;
  qos = 0;
  ack = 0;
  retain = false;
  /** PUBLISH: the DUP flag. */
  dup = false;
  /** The protocol level the packet was parsed with. */
  version = 4;
  /** MQTT 5: the properties' bytes (without their length). */
  props: Buffer = EMPTY;
  /** CONNECT: what it carries. */
  connect: MqttConnectInfo | undefined = undefined;
  /** SUBSCRIBE / UNSUBSCRIBE: the topic filters. */
  filters: MqttTopicFilter[] | undefined = undefined;
  /** CONNACK: the session present flag. */
  sessionPresent = false;
  #text: string | undefined;
  /** The packet is #bytes[#start, #end) (the receive buffer's view, with other packets) until dgram is asked for. */
  #bytes: Buffer;
  #start = 0;
  #end: number;
  constructor(
    readonly cmd: number,
    /** The fixed header's flags (low 4 bits). */
    readonly flags: number,
    /** The whole packet as received. */
    dgram: Buffer,
  ) {
    this.#bytes = dgram;
    this.#end = dgram.length;
  }
  /**
   * @internal A packet that is bytes[start, end) (a view of the receive buffer, with the
   * packets around it): its own view is made only if `dgram` is read.
   */
  static _of(cmd: number, flags: number, bytes: Buffer, start: number, end: number): MqttPacket {
    const m = new MqttPacket(cmd, flags, bytes);
    m.#start = start;
    m.#end = end;
    return m;
  }
  /** The whole packet as received. */
  get dgram(): Buffer {
    const b = this.#bytes;
    if (this.#start === 0 && b.length === this.#end) return b;
    const v = b.subarray(this.#start, this.#end);
    this.#bytes = v;
    this.#start = 0;
    this.#end = v.length;
    return v;
  }
  get text(): string { return (this.#text ??= this.data.toString("utf8")); }
  properties(): MqttProperty[] { return this.props.length === 0 ? [] : decodeProps(this.props); }
}
