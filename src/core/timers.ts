// Timers run inside Manager.poll(), like every other callback.
import { millis } from "../util/time.js";
import { MgError } from "../util/errors.js";
import { checkOptionTable, checkOptionsObject, is, type OptionTable } from "../util/check.js";

/** Options of `manager.timerAdd(ms, callback, options)`. */
export interface TimerOptions {
  /** Run again every `ms` until cancelled (default false: run once). */
  repeat?: boolean;
  /** Run at the first poll instead of waiting `ms` first. */
  runNow?: boolean;
}

/** A timer made by `manager.timerAdd()`; its callback runs inside `poll()`, like every other callback. */
export class Timer {
  /** The interval in milliseconds (the `ms` given to `timerAdd()`). */
  readonly periodMs: number;
  /** It runs every `periodMs` until cancelled (false: once). */
  readonly repeat: boolean;
  /** @internal */ _due: number;
  /** @internal */ _cancelled = false;
  /** @internal a one-shot timer that has run */ _fired = false;
  /** @internal */ readonly _callback: () => void;
  /** @internal */ readonly _onCancel: (t: Timer) => void;
  /** @internal Made by manager.timerAdd(). */
  constructor(periodMs: number, callback: () => void, repeat: boolean, runNow: boolean, onCancel: (t: Timer) => void) {
    this.periodMs = periodMs;
    this.repeat = repeat;
    this._callback = callback;
    this._onCancel = onCancel;
    this._due = runNow ? millis() : millis() + periodMs;
  }
  /** cancel() was called. */
  get isCancelled(): boolean { return this._cancelled; }
  /** The timer will still fire (cymongoose's `timer.active`): not cancelled, and not a one-shot that has run. */
  get active(): boolean { return !this._cancelled && !this._fired; }
  /** Stops the timer; a cancelled timer never runs again. */
  cancel(): void {
    if (this._cancelled) return;
    this._cancelled = true;
    this._onCancel(this);
  }
}

const TIMER_OPTIONS: OptionTable = { repeat: is.boolean, runNow: is.boolean };

export class TimerList {
  private timers: Timer[] = [];

  add(ms: number, cb: () => void, opts: TimerOptions = {}): Timer {
    if (!Number.isFinite(ms) || ms < 0) throw new MgError("ERR_INVALID_ARG", `timerAdd: period must be a non-negative number of milliseconds, got ${ms}`);
    if (typeof cb !== "function") throw new MgError("ERR_INVALID_ARG", "timerAdd: callback must be a function");
    checkOptionsObject(opts, "timerAdd options");
    checkOptionTable(opts, TIMER_OPTIONS, "timerAdd");
    const t = new Timer(ms, cb, opts.repeat ?? false, opts.runNow ?? false, (x) => this.remove(x));
    this.timers.push(t);
    return t;
  }

  private remove(t: Timer): void {
    const i = this.timers.indexOf(t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  get size(): number { return this.timers.length; }

  /** Milliseconds until the next timer is due (Infinity when none). */
  nextIn(now: number): number {
    let min = Infinity;
    for (const t of this.timers) if (t._due - now < min) min = t._due - now;
    return min < 0 ? 0 : min;
  }

  /** Runs every due timer once; `onError` receives what a callback throws. */
  run(now: number, onError: (e: unknown) => void): void {
    if (this.timers.length === 0) return;
    for (const t of this.timers.slice()) {
      if (t._cancelled || t._fired || t._due > now) continue;
      if (t.repeat) {
        // Schedule from the previous due time to avoid drift, but never into the past.
        t._due += t.periodMs > 0 ? t.periodMs : 1;
        if (t._due <= now) t._due = now + (t.periodMs > 0 ? t.periodMs : 1);
      } else {
        t._fired = true;
        this.remove(t);
      }
      try { t._callback(); } catch (e) { onError(e); }
    }
  }

  clear(): void { for (const t of this.timers.slice()) t.cancel(); this.timers.length = 0; }
}
