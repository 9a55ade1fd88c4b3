// Shared subscriptions (MQTT 5 section 4.8.2): "$share/{ShareName}/{filter}". The
// sessions subscribed with one ShareName and filter form a group; each matching message
// goes to one member of the group, round robin, preferring members that are connected.
import { isValidFilter } from "../mqtt/topic.js";

/** A shared subscription's parts, or undefined when `filter` is not "$share/...". */
export interface ShareSpec { group: string; filter: string }

/**
 * Splits "$share/{ShareName}/{filter}". Returns undefined for ordinary filters and
 * "invalid" when the ShareName is empty or holds "+" or "#" [MQTT-4.8.2-1], or when no
 * "/" and valid filter follow it [MQTT-4.8.2-2].
 */
export function parseShare(f: string): ShareSpec | "invalid" | undefined {
  if (!f.startsWith("$share/")) return f === "$share" ? "invalid" : undefined;
  const slash = f.indexOf("/", 7);
  if (slash < 0) return "invalid";
  const group = f.slice(7, slash), filter = f.slice(slash + 1);
  if (group.length === 0 || group.includes("+") || group.includes("#")) return "invalid";
  if (!isValidFilter(filter)) return "invalid";
  return { group, filter };
}

/** One group: its members (client ids, in subscription order) and where the rotation is. */
export interface ShareGroup<M> {
  /** The whole "$share/group/filter", as the members' subscriptions are keyed. */
  key: string;
  filter: string;
  members: M[];
  next: number;
}

/**
 * The member that gets the next message: the next connected one in rotation, else the
 * next one (its session queues the message until it returns).
 */
export function pickMember<M>(g: ShareGroup<M>, connected: (m: M) => boolean): M | undefined {
  const n = g.members.length;
  if (n === 0) return undefined;
  for (let i = 0; i < n; i++) {
    const k = (g.next + i) % n;
    if (connected(g.members[k]!)) { g.next = (k + 1) % n; return g.members[k]; }
  }
  const m = g.members[g.next % n];
  g.next = (g.next + 1) % n;
  return m;
}
