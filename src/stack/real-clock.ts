// The production Clock: wall time from performance.now(), timers from
// setTimeout. The only file of the stack allowed to touch either (DESIGN
// rule 2); both exist in browsers, Deno, Bun and Node as globals.

import type { Clock, TimerHandle } from './clock.js';

/** The handle setTimeout returns: a number in browsers, an object with unref() in Node. */
type HostTimeout = ReturnType<typeof setTimeout>;

export interface RealClockOptions {
  /**
   * Do not keep a Node process alive just for the stack's timers (calls
   * `unref()` where the platform has it). Default false.
   */
  unref?: boolean;
}

class RealTimer implements TimerHandle {
  handle: HostTimeout | undefined;
  cancelled = false;

  cancel(): void {
    this.cancelled = true;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }
}

export class RealClock implements Clock {
  private readonly origin: number;
  private readonly unref: boolean;

  constructor(opts: RealClockOptions = {}) {
    this.origin = performance.now();
    this.unref = opts.unref ?? false;
  }

  /** Microseconds since this clock was made (monotonic). */
  now(): number {
    return Math.floor((performance.now() - this.origin) * 1000);
  }

  setTimer(at: number, fn: () => void): TimerHandle {
    const t = new RealTimer();
    this.arm(t, at, fn);
    return t;
  }

  private arm(t: RealTimer, at: number, fn: () => void): void {
    const delayMs = Math.max(0, (at - this.now()) / 1000);
    const h = setTimeout(() => {
      t.handle = undefined;
      if (t.cancelled) return;
      // Host timers may fire a fraction of a millisecond early by this
      // clock: never run a callback before its time.
      if (this.now() < at) this.arm(t, at, fn);
      else fn();
    }, Math.ceil(delayMs));
    if (this.unref) (h as { unref?: () => void }).unref?.();
    t.handle = h;
  }
}
