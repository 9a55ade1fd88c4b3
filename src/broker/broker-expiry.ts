// The broker's clock for disconnected sessions: wills waiting for their Will Delay
// Interval and sessions waiting for their Session Expiry Interval (MQTT 5 sections
// 3.1.2.11.2 and 3.1.3.2.2). One repeating timer looks at the waiting sessions while
// there are any, so idle brokers and sessions without deadlines cost nothing.
import type { Manager } from "../manager.js";
import type { Timer } from "../core/timers.js";
import { millis } from "../util/time.js";
import type { Session } from "./broker-session.js";

/** How often deadlines are looked at: wills and expiries are at most this late. */
export const SWEEP_MS = 250;

export class SessionClock {
  private readonly pending = new Set<Session>();
  private timer: Timer | undefined;
  constructor(
    private readonly manager: Manager,
    /** `will`: a delayed will is due; `end`: the session expired. */
    private readonly due: { will(s: Session): void; end(s: Session): void },
  ) {}

  /** Watches a disconnected session that has a delayed will or a finite end. */
  watch(s: Session): void {
    if (s.will === undefined && s.endsAt === Infinity) return;
    this.pending.add(s);
    this.timer ??= this.manager.timerAdd(SWEEP_MS, () => this.sweep(), { repeat: true });
  }

  /** The session came back or ended. */
  forget(s: Session): void { this.pending.delete(s); }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private sweep(): void {
    const now = millis();
    for (const s of this.pending) {
      if (s.will !== undefined && now >= s.willAt) this.due.will(s);
      if (now >= s.endsAt) { this.pending.delete(s); this.due.end(s); }
      else if (s.will === undefined && s.endsAt === Infinity) this.pending.delete(s);
    }
    if (this.pending.size === 0) this.stop();
  }
}
