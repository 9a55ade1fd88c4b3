// Command-line options of `tsmongoose mqtt-broker`, turned into MqttBrokerOptions.
import { topicMatches } from "../mqtt/topic.js";
import type { MqttBrokerOptions } from "./broker-options.js";
import { clusterConfig } from "./cluster/cluster-options.js";

export const BROKER_CLI_HELP = `Options (defaults in brackets):
  --listen URL                 mqtt://host:port or ws://host:port[/path], repeatable [mqtt://0.0.0.0:1883]
  --max-keepalive S            MQTT 5 clients asking more (or 0) get this Server Keep Alive [none]
  --max-session-expiry S       longest session kept after a disconnect [no limit]
  --receive-maximum N          QoS 2 messages a client may leave unreleased [100]
  --max-inflight N             unacknowledged QoS 1/2 deliveries per client [100]
  --max-queued N               QoS 1/2 messages queued per session [1000]
  --max-queued-bytes N         bytes queued per session [16777216]
  --topic-alias-maximum N      topic aliases a client may set (0: none) [10]
  --no-outbound-aliases        never send topic aliases to clients
  --max-qos N                  highest QoS accepted [2]
  --no-retain                  refuse retained messages
  --no-wildcards               refuse wildcard subscriptions
  --no-shared                  refuse shared subscriptions
  --no-subscription-ids        refuse subscription identifiers
  --deny-subscribe FILTER      refuse subscriptions to topics matching FILTER (repeatable)
  --data DIR                   keep retained messages and persistent sessions in DIR (survive restarts) [memory only]
  --fsync POLICY               with --data: always, interval or never [interval]
  --sys-interval S             publish $SYS/broker/... every S seconds (0: off) [0]
  --redis URL                  be one node of a cluster of brokers sharing redis://host:port
                               (messages, retained, sessions; docs/scaling.md) [alone]`;

/** Takes the broker's options out of `args` (what is left is for the caller); throws on a bad value. */
export function brokerCliOptions(args: string[]): Omit<MqttBrokerOptions, "listen"> {
  const o: Omit<MqttBrokerOptions, "listen"> = {};
  const take = (name: string): string | undefined => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined) throw new Error(`${name} needs a value`);
    args.splice(i, 2);
    return v;
  };
  const num = (name: string): number | undefined => {
    const v = take(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new Error(`${name} needs a non-negative integer, got ${v}`);
    return Number(v);
  };
  const flag = (name: string): boolean => {
    const i = args.indexOf(name);
    if (i >= 0) args.splice(i, 1);
    return i >= 0;
  };
  o.maxKeepAlive = num("--max-keepalive");
  o.maxSessionExpiry = num("--max-session-expiry");
  o.receiveMaximum = num("--receive-maximum");
  o.maxInflightMessages = num("--max-inflight");
  o.maxQueuedMessages = num("--max-queued");
  o.maxQueuedBytes = num("--max-queued-bytes");
  o.topicAliasMaximum = num("--topic-alias-maximum");
  o.maxQos = num("--max-qos");
  o.sysInterval = num("--sys-interval");
  const data = take("--data");
  const fsync = take("--fsync");
  if (fsync !== undefined && fsync !== "always" && fsync !== "interval" && fsync !== "never") throw new Error(`--fsync needs always, interval or never, got ${fsync}`);
  if (fsync !== undefined && data === undefined) throw new Error("--fsync needs --data");
  if (data !== undefined) o.persistence = fsync === undefined ? { dir: data } : { dir: data, fsync };
  const redis = take("--redis");
  if (redis !== undefined && data !== undefined) throw new Error("--redis and --data do not go together: a cluster keeps its state in Redis");
  if (redis !== undefined) {
    clusterConfig({ redis }); // a bad URL is a usage error here, not a failure at start
    o.cluster = { redis };
  }
  if (flag("--no-outbound-aliases")) o.outboundTopicAliases = false;
  if (flag("--no-retain")) o.retainAvailable = false;
  if (flag("--no-wildcards")) o.wildcardSubscriptions = false;
  if (flag("--no-shared")) o.sharedSubscriptions = false;
  if (flag("--no-subscription-ids")) o.subscriptionIdentifiers = false;
  const deny: string[] = [];
  for (let f = take("--deny-subscribe"); f !== undefined; f = take("--deny-subscribe")) deny.push(f);
  if (deny.length > 0) {
    // A filter is refused when a denied pattern matches it as a topic (so "test/#" denies "test/x" and "test/#").
    // Refused with 0x80 (unspecified error), the one code every client (Paho's test client included) accepts.
    o.authorize = (_id, topic, action) => action !== "subscribe" || !deny.some((d) => d === topic || topicMatches(d, topic)) || 0x80;
  }
  for (const k of Object.keys(o) as (keyof typeof o)[]) if (o[k] === undefined) delete o[k];
  return o;
}
