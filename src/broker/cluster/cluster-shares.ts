// Shared subscriptions across a cluster: every node keeps the members of every group,
// wherever their sessions live (Redis hash `shares`, kept current by control messages).
// The node where a message is published picks the one member that gets it (round robin,
// preferring members connected to a live node) and names it in the message, so exactly
// one node delivers it.
import { topicMatches } from "../../mqtt/topic.js";
import { pickMember, type ShareGroup } from "../broker-shared.js";

export interface ShareMember {
  clientId: string;
  /** The node holding the member's session. */
  node: string;
  /** Its client is connected there. */
  online: boolean;
}

export class ShareView {
  private readonly groups = new Map<string, ShareGroup<ShareMember>>();

  get size(): number { return this.groups.size; }

  /** A member joined, moved to another node, or connected/disconnected. */
  set(key: string, filter: string, m: ShareMember): void {
    let g = this.groups.get(key);
    if (g === undefined) { g = { key, filter, members: [], next: 0 }; this.groups.set(key, g); }
    const i = g.members.findIndex((x) => x.clientId === m.clientId);
    if (i >= 0) g.members[i] = m; else g.members.push(m);
  }

  remove(key: string, clientId: string): void {
    const g = this.groups.get(key);
    if (g === undefined) return;
    const i = g.members.findIndex((x) => x.clientId === clientId);
    if (i >= 0) g.members.splice(i, 1);
    if (g.members.length === 0) this.groups.delete(key);
  }

  clear(): void { this.groups.clear(); }

  /**
   * For each group matching `topic`: the member that gets the message (`alive(node)`: its
   * node answers): the next connected one in rotation, else the next one whose node holds
   * its session (that node queues it). Members of nodes taken for dead are never picked:
   * nobody would deliver or queue for them.
   */
  pick(topic: string, alive: (node: string) => boolean, each: (key: string, m: ShareMember) => void): void {
    for (const g of this.groups.values()) {
      if (!topicMatches(g.filter, topic)) continue;
      const m = pickMember(g, (x) => x.online && alive(x.node));
      if (m === undefined) continue;
      if (m.online && alive(m.node)) { each(g.key, m); continue; }
      // pickMember fell back to any member: take the first held by a live node instead, if any.
      const n = g.members.length;
      for (let i = 0; i < n; i++) {
        const x = g.members[(g.next + n - 1 + i) % n]!;
        if (alive(x.node)) { each(g.key, x); break; }
      }
    }
  }
}
