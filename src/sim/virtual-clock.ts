// A virtual clock for the simulator (DESIGN rule 2: time is injected).
//
// Time only moves when the owner runs the clock. Pending timers live in a
// binary min-heap keyed by (time, insertion sequence): two timers due at the
// same instant fire in the order they were set, so a run is a pure function
// of its inputs and replays exactly.

import type { Clock, TimerHandle } from '../stack/clock.js';

/** Default cap on events one `runUntilIdle` call may run. */
export const DEFAULT_MAX_EVENTS = 10_000_000;
/** Default cap on events that may run without time advancing. */
export const DEFAULT_MAX_EVENTS_PER_INSTANT = 1_000_000;

export interface VirtualClockOptions {
  /**
   * Largest number of events allowed to run at one instant before the clock
   * concludes that a timer keeps re-arming itself for "now" and throws.
   */
  maxEventsPerInstant?: number;
}

/** One scheduled callback; also the handle returned to the caller. */
class Timer implements TimerHandle {
  /** Set once the timer has fired or been cancelled. */
  done = false;
  constructor(
    private readonly clock: VirtualClock,
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.clock.noteCancelled();
  }
}

/** Heap order: earlier time first, then earlier insertion. */
function before(a: Timer, b: Timer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

export class VirtualClock implements Clock {
  private current: number;
  private readonly heap: Timer[] = [];
  private nextSeq = 0;
  /** Timers in the heap that were cancelled and not yet removed. */
  private cancelledInHeap = 0;
  private running = false;
  private readonly maxPerInstant: number;
  /** Instant of the last event run, and how many ran at it in a row. */
  private lastInstant = Number.NaN;
  private runAtInstant = 0;
  private fired = 0;

  /** @param origin the starting time in microseconds (default 0). */
  constructor(origin = 0, options: VirtualClockOptions = {}) {
    if (!Number.isFinite(origin)) throw new RangeError(`VirtualClock: origin must be a finite number, got ${origin}`);
    this.current = origin;
    this.maxPerInstant = options.maxEventsPerInstant ?? DEFAULT_MAX_EVENTS_PER_INSTANT;
  }

  /** Current virtual time in microseconds. */
  now(): number {
    return this.current;
  }

  /** Number of timers set and neither fired nor cancelled. */
  get pending(): number {
    return this.heap.length - this.cancelledInHeap;
  }

  /** Total number of timer callbacks run so far. */
  get eventsRun(): number {
    return this.fired;
  }

  /** Time of the next live timer, or `undefined` when none is pending. */
  nextEventTime(): number | undefined {
    this.discardCancelledTop();
    return this.heap.length > 0 ? this.heap[0]!.at : undefined;
  }

  /**
   * Run `fn` when the clock reaches `at` (absolute µs). A time already past
   * runs at the current instant, after the timers already due then.
   */
  setTimer(at: number, fn: () => void): TimerHandle {
    if (Number.isNaN(at) || at === Number.POSITIVE_INFINITY) {
      throw new RangeError(`VirtualClock.setTimer: time must be a finite number, got ${at}`);
    }
    const t = new Timer(this, at < this.current ? this.current : at, this.nextSeq++, fn);
    this.push(t);
    return t;
  }

  /**
   * Run the next pending timer, advancing the clock to its time.
   * Returns false (and does nothing) when no timer is pending.
   */
  step(): boolean {
    this.enter('step');
    try {
      const t = this.popLive();
      if (t === undefined) return false;
      this.fire(t);
      return true;
    } finally {
      this.running = false;
    }
  }

  /**
   * Run every timer due at or before `t` (including timers those callbacks
   * set inside the window), then leave the clock at exactly `t`.
   * Returns the number of callbacks run.
   */
  runUntil(t: number): number {
    if (Number.isNaN(t) || !Number.isFinite(t)) throw new RangeError(`VirtualClock.runUntil: time must be finite, got ${t}`);
    if (t < this.current) {
      throw new RangeError(`VirtualClock.runUntil: ${t} µs is before the current time ${this.current} µs`);
    }
    this.enter('runUntil');
    let n = 0;
    try {
      for (;;) {
        this.discardCancelledTop();
        const top = this.heap[0];
        if (top === undefined || top.at > t) break;
        this.fire(this.popTop());
        n++;
      }
      this.current = t;
      return n;
    } finally {
      this.running = false;
    }
  }

  /** `runUntil(now() + dt)`. */
  runFor(dt: number): number {
    if (!(dt >= 0)) throw new RangeError(`VirtualClock.runFor: duration must be >= 0, got ${dt}`);
    return this.runUntil(this.current + dt);
  }

  /**
   * Run timers until none is pending, or until the next one is due after
   * `limit` (then the clock is left at `limit`). Throws when more than
   * `maxEvents` callbacks run, which usually means a timer that re-arms
   * itself forever: pass a `limit` for runs that never go idle (keepalive).
   * Returns the number of callbacks run.
   */
  runUntilIdle(limit?: number, maxEvents = DEFAULT_MAX_EVENTS): number {
    if (limit !== undefined) {
      if (Number.isNaN(limit)) throw new RangeError('VirtualClock.runUntilIdle: limit is NaN');
      if (limit < this.current) {
        throw new RangeError(`VirtualClock.runUntilIdle: limit ${limit} µs is before the current time ${this.current} µs`);
      }
    }
    this.enter('runUntilIdle');
    let n = 0;
    try {
      for (;;) {
        this.discardCancelledTop();
        const top = this.heap[0];
        if (top === undefined) return n;
        if (limit !== undefined && top.at > limit) {
          this.current = limit;
          return n;
        }
        if (n >= maxEvents) {
          throw new Error(
            `VirtualClock.runUntilIdle: still not idle after ${maxEvents} events (virtual time ${this.current} µs, ` +
              `${this.pending} timers pending); a timer probably re-arms itself forever — pass a time limit or a larger maxEvents`,
          );
        }
        this.fire(this.popTop());
        n++;
      }
    } finally {
      this.running = false;
    }
  }

  /** Called by a Timer when it is cancelled while still in the heap. */
  noteCancelled(): void {
    this.cancelledInHeap++;
    // Re-arming timers (an RTO reset on every ACK) leave many dead entries;
    // rebuild the heap once they are the majority so memory stays bounded.
    if (this.cancelledInHeap > 64 && this.cancelledInHeap * 2 > this.heap.length) this.compact();
  }

  private enter(what: string): void {
    if (this.running) throw new Error(`VirtualClock.${what}: called from inside a timer callback`);
    this.running = true;
  }

  private fire(t: Timer): void {
    this.current = t.at;
    if (t.at === this.lastInstant) {
      if (++this.runAtInstant > this.maxPerInstant) {
        throw new Error(
          `VirtualClock: more than ${this.maxPerInstant} events ran at ${t.at} µs without time advancing; ` +
            'a timer probably re-arms itself for the current instant',
        );
      }
    } else {
      this.lastInstant = t.at;
      this.runAtInstant = 1;
    }
    t.done = true;
    this.fired++;
    t.fn();
  }

  private popLive(): Timer | undefined {
    this.discardCancelledTop();
    return this.heap.length > 0 ? this.popTop() : undefined;
  }

  private discardCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.done) {
      this.popTop();
      this.cancelledInHeap--;
    }
  }

  private compact(): void {
    const live = this.heap.filter((t) => !t.done);
    this.heap.length = 0;
    for (const t of live) this.heap.push(t);
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
    this.cancelledInHeap = 0;
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(t, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = t;
  }

  private popTop(): Timer {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(i: number): void {
    const h = this.heap;
    const n = h.length;
    const item = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, item)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = item;
  }
}
