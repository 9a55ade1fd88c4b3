// The broker's $SYS topics, named as mosquitto publishes them ($SYS/broker/...), sent
// every `sysInterval` seconds as retained QoS 0 messages, each only when its value
// changed (uptime always does). Topics starting with "$" are not matched by "#" or "+"
// at the first level [MQTT-4.7.2-1], so only clients that subscribe to "$SYS/..." see them.
import { VERSION } from "../util/version.js";

/** Counters kept by the broker for $SYS. */
export interface BrokerStats {
  startedAt: number;
  /** MQTT packets received and sent (all types). */
  msgsIn: number;
  msgsOut: number;
  /** PUBLISH packets received from clients, and sent to clients. */
  publishIn: number;
  published: number;
  /** Messages dropped (queue bounds, backed-up sockets, over a client's maximum packet size). */
  dropped: number;
  bytesIn: number;
  bytesOut: number;
  /** Most clients connected at once. */
  maxClients: number;
}

export function newStats(now: number): BrokerStats {
  return { startedAt: now, msgsIn: 0, msgsOut: 0, publishIn: 0, published: 0, dropped: 0, bytesIn: 0, bytesOut: 0, maxClients: 0 };
}

/** What the broker reports besides its counters. */
export interface SysGauges {
  connected: number;
  /** Persistent sessions whose client is away. */
  disconnected: number;
  subscriptions: number;
  retained: number;
  /** QoS 1/2 messages queued or in flight, over all sessions. */
  stored: number;
}

/** "tsmongoose version X.Y.Z", as mosquitto names itself in $SYS/broker/version. */
export function brokerVersion(): string {
  return `tsmongoose version ${VERSION}`;
}

/** The $SYS topics and their values now. */
export function sysValues(st: BrokerStats, g: SysGauges, now: number): [string, string][] {
  const b = "$SYS/broker/";
  return [
    [`${b}version`, brokerVersion()],
    [`${b}uptime`, `${Math.floor((now - st.startedAt) / 1000)} seconds`],
    [`${b}clients/connected`, String(g.connected)],
    [`${b}clients/active`, String(g.connected)],
    [`${b}clients/disconnected`, String(g.disconnected)],
    [`${b}clients/inactive`, String(g.disconnected)],
    [`${b}clients/total`, String(g.connected + g.disconnected)],
    [`${b}clients/maximum`, String(st.maxClients)],
    [`${b}messages/received`, String(st.msgsIn)],
    [`${b}messages/sent`, String(st.msgsOut)],
    [`${b}messages/stored`, String(g.stored + g.retained)],
    [`${b}store/messages/count`, String(g.stored + g.retained)],
    [`${b}publish/messages/received`, String(st.publishIn)],
    [`${b}publish/messages/sent`, String(st.published)],
    [`${b}publish/messages/dropped`, String(st.dropped)],
    [`${b}bytes/received`, String(st.bytesIn)],
    [`${b}bytes/sent`, String(st.bytesOut)],
    [`${b}subscriptions/count`, String(g.subscriptions)],
    [`${b}retained messages/count`, String(g.retained)],
  ];
}
