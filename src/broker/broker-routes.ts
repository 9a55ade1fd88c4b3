// Which sessions a topic reaches: matching every subscription of every session costs
// O(sessions x subscriptions) string comparisons per message, the same answer each time
// for a topic until some subscription changes. The broker asks here instead; any change
// to a subscription or to the set of sessions empties the cache (subscribing is rare
// next to publishing). Shared subscriptions are matched by the groups, not here.
import { topicMatches } from "../mqtt/topic.js";
import type { Session, Subscription } from "./broker-session.js";

/** One session a topic reaches, with its (non-shared) subscriptions that match it. */
export interface RouteHit {
  s: Session;
  subs: Subscription[];
}

/** Where one topic goes, and its UTF-8 bytes for the PUBLISH packets (encoded once per topic, not per message). */
export interface Route {
  hits: RouteHit[];
  topicBytes: Buffer | undefined;
}

/** Topics remembered at most; past it the cache starts over (many one-off topics). */
const MAX_TOPICS = 4096;

export class RouteCache {
  readonly #byTopic = new Map<string, Route>();

  /** A subscription was added, replaced or removed, or a session came or went. */
  invalidate(): void {
    if (this.#byTopic.size > 0) this.#byTopic.clear();
  }

  /** The sessions `topic` reaches among `sessions` (computed once per topic until invalidated). */
  route(topic: string, sessions: ReadonlyMap<string, Session>): Route {
    let r = this.#byTopic.get(topic);
    if (r !== undefined) return r;
    const hits: RouteHit[] = [];
    for (const s of sessions.values()) {
      if (s.subs.size === 0) continue;
      let subs: Subscription[] | undefined;
      for (const sub of s.subs.values()) {
        if (!sub.shared && topicMatches(sub.filter, topic)) (subs ??= []).push(sub);
      }
      if (subs !== undefined) hits.push({ s, subs });
    }
    if (this.#byTopic.size >= MAX_TOPICS) this.#byTopic.clear();
    r = { hits, topicBytes: undefined };
    this.#byTopic.set(topic, r);
    return r;
  }
}
