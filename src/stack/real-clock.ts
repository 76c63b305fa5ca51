// The production Clock: wall time from performance.now(), timers from
// setTimeout. The only file of the stack allowed to touch either (DESIGN
// rule 2); both exist in browsers, Deno, Bun and Node as globals.

import type { Clock, TimerHandle } from './clock.js';
import { TimerHeap, type HeapEntry } from './timer-heap.js';

/** The handle setTimeout returns: a number in browsers, an object with unref() in Node. */
type HostTimeout = ReturnType<typeof setTimeout>;

export interface RealClockOptions {
  /**
   * Do not keep a Node process alive just for the stack's timers (calls
   * `unref()` where the platform has it). Default false.
   */
  unref?: boolean;
}

class RealTimer implements TimerHandle, HeapEntry {
  deadline = Infinity;
  heapIndex = -1;

  constructor(
    private readonly clock: RealClock,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    this.clock.cancelTimer(this);
  }
}

/**
 * Timers wait in one heap, in deadline order, behind a single host
 * timeout for the earliest. So they fire in the order of their deadlines
 * (a host timer that fires a little early and is set again cannot let a
 * later one overtake it), and never before their time.
 */
export class RealClock implements Clock {
  private readonly origin: number;
  private readonly unref: boolean;
  private readonly timers = new TimerHeap<RealTimer>();
  private host: HostTimeout | undefined;
  private hostAt = Infinity;

  constructor(opts: RealClockOptions = {}) {
    this.origin = performance.now();
    this.unref = opts.unref ?? false;
  }

  /** Microseconds since this clock was made (monotonic). */
  now(): number {
    return Math.floor((performance.now() - this.origin) * 1000);
  }

  setTimer(at: number, fn: () => void): TimerHandle {
    const t = new RealTimer(this, fn);
    // NaN or -Infinity: due at once. Infinity: never.
    this.timers.schedule(t, Number.isNaN(at) || at === -Infinity ? 0 : at);
    this.arm();
    return t;
  }

  /** RealTimer.cancel. */
  cancelTimer(t: RealTimer): void {
    this.timers.remove(t);
    this.arm();
  }

  /** Keep one host timeout set for the earliest deadline (none when no timer waits). */
  private arm(): void {
    const at = this.timers.earliest;
    if (at === this.hostAt) return;
    if (this.host !== undefined) clearTimeout(this.host);
    this.host = undefined;
    this.hostAt = at;
    if (at === Infinity) return;
    const h = setTimeout(this.fire, Math.ceil(Math.max(0, (at - this.now()) / 1000)));
    if (this.unref) (h as { unref?: () => void }).unref?.();
    this.host = h;
  }

  private readonly fire = (): void => {
    this.host = undefined;
    this.hostAt = Infinity;
    // Host timers may fire a fraction of a millisecond early by this
    // clock: only what is due by now runs; the rest waits for a new timeout.
    const now = this.now();
    try {
      for (let t = this.timers.popDue(now); t !== undefined; t = this.timers.popDue(now)) t.fn();
    } finally {
      this.arm();
    }
  };
}
