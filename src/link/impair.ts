// An impairment layer for any NetDevice: loss, reordering, duplication,
// corruption and delay, drawn from a seeded generator, on the packets the
// stack sends (tx) and on those it receives (rx). Wrapped around a TUN it
// makes a real path lossy for both TCPs at once: the kernel's segments are
// impaired on their way in, synack's on their way out, and each side has
// to recover.
//
// Unlike the simulator's Link, which delivers every packet from a clock
// timer, a packet that is not delayed here passes straight through in the
// same call, so an unimpaired (or merely lossy) path costs nothing extra on
// a real clock. Only held packets use timers: one timer per direction,
// armed for the earliest of them.
//
// What happens to a packet, in this order (each packet takes exactly six
// random draws, whatever the options, so turning one impairment on does not
// change the fate drawn for any packet under another):
//   1. loss: dropped;
//   2. corruption: one random bit of it is flipped;
//   3. duplication: a second, separate copy follows it;
//   4. reordering: it is held back until `reorderGap` later packets have
//      passed it, or `reorderHold` µs have gone by, whichever comes first;
//   5. delay: `delay` µs plus up to `jitter` µs. Delayed packets keep their
//      order among themselves (jitter never reorders on its own).

import type { Clock, TimerHandle } from '../stack/clock.js';
import { Rng } from '../sim/rng.js';
import type { NetDevice } from './device.js';
import { fillTransportChecksum } from '../wire/offload.js';

export interface ImpairSpec {
  /** Probability that a packet is dropped (default 0). */
  loss?: number;
  /** Probability that a packet is held back and overtaken (default 0). */
  reorder?: number;
  /** How many later packets overtake a held one (default 3: enough to trigger a fast retransmit). */
  reorderGap?: number;
  /** Longest a held packet waits for those, in µs (default 10 ms). */
  reorderHold?: number;
  /** Probability that a packet is delivered twice (default 0). */
  duplicate?: number;
  /** Probability that one random bit of a packet is flipped (default 0). */
  corrupt?: number;
  /** Fixed delay in µs (default 0). */
  delay?: number;
  /** Extra delay drawn uniformly from [0, jitter] µs (default 0). */
  jitter?: number;
}

export type ImpairDirection = 'tx' | 'rx';

export interface ImpairOptions {
  /** Holds and delays run on this clock (a RealClock on a TUN, a VirtualClock in tests). */
  clock: Clock;
  /** Seed of the random draws (default 1). The same seed and traffic give the same fates. */
  seed?: number | string;
  /** Impairments of the packets sent through the device (the stack's, towards the peer). */
  tx?: ImpairSpec;
  /** Impairments of the packets received from the device (the peer's, towards the stack). */
  rx?: ImpairSpec;
}

export interface ImpairStats {
  /** Packets that entered this direction. */
  packets: number;
  /** Packets passed on, copies included. */
  delivered: number;
  lost: number;
  corrupted: number;
  duplicated: number;
  reordered: number;
  delayed: number;
  /** Held or delayed packets thrown away by close(). */
  discarded: number;
}

interface Resolved {
  loss: number;
  reorder: number;
  reorderGap: number;
  reorderHold: number;
  duplicate: number;
  corrupt: number;
  delay: number;
  jitter: number;
}

function probability(dir: string, name: string, v: number | undefined): number {
  const p = v ?? 0;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`impair ${dir}.${name} must be a probability in [0, 1], got ${v}`);
  return p;
}

function whole(dir: string, name: string, v: number | undefined, dflt: number, min = 0): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`impair ${dir}.${name} must be a whole number >= ${min}, got ${v}`);
  return n;
}

function resolve(dir: ImpairDirection, s: ImpairSpec = {}): Resolved {
  return {
    loss: probability(dir, 'loss', s.loss),
    reorder: probability(dir, 'reorder', s.reorder),
    reorderGap: whole(dir, 'reorderGap', s.reorderGap, 3, 1),
    reorderHold: whole(dir, 'reorderHold', s.reorderHold, 10_000),
    duplicate: probability(dir, 'duplicate', s.duplicate),
    corrupt: probability(dir, 'corrupt', s.corrupt),
    delay: whole(dir, 'delay', s.delay, 0),
    jitter: whole(dir, 'jitter', s.jitter, 0),
  };
}

function newStats(): ImpairStats {
  return { packets: 0, delivered: 0, lost: 0, corrupted: 0, duplicated: 0, reordered: 0, delayed: 0, discarded: 0 };
}

interface Held {
  packet: Uint8Array;
  /** Its jitter draw, used when it is released. */
  uJitter: number;
  /** Later packets still to pass it. */
  gap: number;
  /** Released at this time at the latest. */
  deadline: number;
}

interface Timed {
  packet: Uint8Array;
  at: number;
}

/** One direction: packets in through `push`, out through `out`. */
class Path {
  readonly stats = newStats();
  o: Resolved;
  private readonly held: Held[] = [];
  private heldTimer: TimerHandle | null = null;
  private heldTimerAt = Infinity;
  /** Delayed packets in delivery order (at is non-decreasing). */
  private readonly timed: Timed[] = [];
  private timedHead = 0;
  private timedTimer: TimerHandle | null = null;
  private lastAt = -Infinity;
  private closed = false;

  constructor(
    readonly dir: ImpairDirection,
    spec: ImpairSpec | undefined,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly out: (packet: Uint8Array) => void,
  ) {
    this.o = resolve(dir, spec);
  }

  push(packet: Uint8Array): void {
    if (this.closed) return;
    const o = this.o;
    const rng = this.rng;
    const stats = this.stats;
    stats.packets++;
    // The six draws (see the header comment).
    const uLoss = rng.next();
    const uCorrupt = rng.next();
    const uBit = rng.next();
    const uDup = rng.next();
    const uReorder = rng.next();
    const uJitter = rng.next();

    if (uLoss < o.loss) {
      stats.lost++;
      return;
    }
    const duplicate = uDup < o.duplicate;
    let first = packet;
    if (uCorrupt < o.corrupt && packet.length > 0) {
      // The packet is ours (NetDevice ownership), but its duplicate must
      // stay intact: flip the bit in a copy when there will be two.
      const bit = Math.floor(uBit * packet.length * 8);
      first = duplicate ? packet.slice() : packet;
      first[bit >> 3] = first[bit >> 3]! ^ (0x80 >> (bit & 7));
      stats.corrupted++;
    }
    const second = duplicate ? (first === packet ? packet.slice() : packet) : null;
    if (second !== null) stats.duplicated++;

    const heldBefore = this.held.length;
    if (uReorder < o.reorder) {
      stats.reordered++;
      this.hold(first, uJitter);
    } else this.forward(first, uJitter);
    if (second !== null) this.forward(second, uJitter);
    // Packets held earlier have now been overtaken by what was forwarded.
    const passed = (uReorder < o.reorder ? 0 : 1) + (second !== null ? 1 : 0);
    if (heldBefore > 0 && passed > 0) this.overtake(heldBefore, passed);
  }

  /** After reordering: the delay stage, then out. */
  private forward(packet: Uint8Array, uJitter: number): void {
    const o = this.o;
    if (o.delay === 0 && o.jitter === 0 && this.timedHead === this.timed.length) {
      this.stats.delivered++;
      this.out(packet);
      return;
    }
    const now = this.clock.now();
    let at = now + o.delay + Math.floor(uJitter * (o.jitter + 1));
    if (at < this.lastAt) at = this.lastAt;
    this.lastAt = at;
    this.stats.delayed++;
    this.timed.push({ packet, at });
    if (this.timedTimer === null) this.timedTimer = this.clock.setTimer(this.timed[this.timedHead]!.at, this.releaseTimed);
  }

  private readonly releaseTimed = (): void => {
    this.timedTimer = null;
    const now = this.clock.now();
    while (this.timedHead < this.timed.length && this.timed[this.timedHead]!.at <= now) {
      const t = this.timed[this.timedHead++]!;
      if (this.closed) return;
      this.stats.delivered++;
      this.out(t.packet);
    }
    if (this.timedHead === this.timed.length) {
      this.timed.length = 0;
      this.timedHead = 0;
    } else {
      if (this.timedHead > 1024) {
        this.timed.splice(0, this.timedHead);
        this.timedHead = 0;
      }
      this.timedTimer = this.clock.setTimer(this.timed[this.timedHead]!.at, this.releaseTimed);
    }
  };

  private hold(packet: Uint8Array, uJitter: number): void {
    const deadline = this.clock.now() + this.o.reorderHold;
    this.held.push({ packet, uJitter, gap: this.o.reorderGap, deadline });
    this.armHeld(deadline);
  }

  /** The first `count` held packets were overtaken by `n` more: release, in order, those overtaken enough. */
  private overtake(count: number, n: number): void {
    let kept = 0;
    for (let i = 0; i < this.held.length; i++) {
      const h = this.held[i]!;
      if (i < count) h.gap -= n;
      if (h.gap <= 0) {
        if (!this.closed) this.forward(h.packet, h.uJitter);
      } else this.held[kept++] = h;
    }
    this.held.length = kept;
    if (kept === 0 && this.heldTimer !== null) {
      this.heldTimer.cancel();
      this.heldTimer = null;
      this.heldTimerAt = Infinity;
    }
  }

  private armHeld(at: number): void {
    if (this.heldTimer !== null && this.heldTimerAt <= at) return;
    this.heldTimer?.cancel();
    this.heldTimerAt = at;
    this.heldTimer = this.clock.setTimer(at, this.releaseHeld);
  }

  private readonly releaseHeld = (): void => {
    this.heldTimer = null;
    this.heldTimerAt = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    for (let i = 0; i < this.held.length; ) {
      const h = this.held[i]!;
      if (h.deadline <= now) {
        this.held.splice(i, 1);
        if (this.closed) return;
        this.forward(h.packet, h.uJitter);
      } else {
        next = Math.min(next, h.deadline);
        i++;
      }
    }
    if (next !== Infinity) this.armHeld(next);
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stats.discarded += this.held.length + (this.timed.length - this.timedHead);
    this.held.length = 0;
    this.timed.length = 0;
    this.timedHead = 0;
    this.heldTimer?.cancel();
    this.heldTimer = null;
    this.timedTimer?.cancel();
    this.timedTimer = null;
  }
}

/**
 * A NetDevice that impairs the traffic of another. The wrapped device's
 * `onReceive` belongs to the wrapper from now on; give the wrapper to the
 * stack instead of the device.
 */
export class ImpairedDevice implements NetDevice {
  onReceive: ((packet: Uint8Array) => void) | null = null;
  /**
   * No checksum offload through an impaired path: a corrupted packet must
   * be caught by its checksum, so every packet carries a real one (the
   * stack computes them for what it sends; what the wrapped device vouched
   * for gets one computed here before it is impaired).
   */
  readonly checksumOffload = false;
  private readonly txPath: Path;
  private readonly rxPath: Path;
  private isClosed = false;

  constructor(
    readonly inner: NetDevice,
    opts: ImpairOptions,
  ) {
    const root = new Rng(opts.seed ?? 1);
    this.txPath = new Path('tx', opts.tx, opts.clock, root.fork('tx'), (p) => inner.send(p));
    this.rxPath = new Path('rx', opts.rx, opts.clock, root.fork('rx'), (p) => {
      const h = this.onReceive;
      if (h !== null) h(p);
    });
    inner.onReceive = (p, checksumValid) => {
      if (checksumValid === true) fillTransportChecksum(p);
      this.rxPath.push(p);
    };
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  /** Counters of each direction. */
  get stats(): { readonly tx: Readonly<ImpairStats>; readonly rx: Readonly<ImpairStats> } {
    return { tx: this.txPath.stats, rx: this.rxPath.stats };
  }

  /** Change one direction's impairments from now on (packets already held keep their fate). */
  configure(dir: ImpairDirection, spec: ImpairSpec): void {
    const path = dir === 'tx' ? this.txPath : this.rxPath;
    path.o = resolve(dir, spec);
  }

  send(packet: Uint8Array): void {
    if (this.isClosed) return;
    this.txPath.push(packet);
  }

  /** Throw away held packets, stop the timers, and close the wrapped device. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.txPath.close();
    this.rxPath.close();
    this.inner.onReceive = null;
    this.onReceive = null;
    this.inner.close();
  }
}

/** Wrap `device` in an ImpairedDevice. */
export function impair(device: NetDevice, opts: ImpairOptions): ImpairedDevice {
  return new ImpairedDevice(device, opts);
}
