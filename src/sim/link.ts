// A one-way simulated link: packets in at one end, out at the other after
// serialization, queueing and propagation, with the impairments of a real
// path (loss, duplication, reordering, corruption, MTU) and scripted faults.
//
// What happens to a packet handed to `send()`, in this order:
//   1. it is numbered (the first packet on a link is number 1) and the
//      random draws for it are taken (always six, see below);
//   2. a packet longer than the MTU is dropped (reason 'mtu');
//   3. with a bandwidth, it waits in a FIFO for the transmitter; a packet
//      arriving to a full queue is dropped (reason 'queue', tail drop);
//   4. scripted faults apply (drop / dropWhere → reason 'scripted';
//      delay / dup / corrupt), then random ones (loss → reason 'loss',
//      duplicate, corrupt, reorder). A packet lost on the wire still used
//      the transmitter for its serialization time;
//   5. it arrives `delay` + jitter µs after its last bit left the sender.
//
// Determinism: every random decision comes from the link's own Rng, and
// each packet takes exactly six draws whatever the options and scripts say,
// so switching one impairment on or off, or scripting a fault, never
// changes the fate drawn for any other packet on that link. While nothing
// random is switched on and no corruption is scripted, no draw is read, and
// the link only counts the packets whose draws it owes; the next packet that
// needs its draws first discards the owed ones (Rng.discard), so it gets the
// very numbers it would have got had every draw been taken in turn.
//
// Times are integers in microseconds. Serialization is tracked exactly (as
// whole µs plus a remainder in 1/bandwidth µs) so long runs do not drift;
// a packet is delivered at the first whole µs at or after its last bit.

import type { Clock } from '../stack/clock.js';
import type { Rng } from './rng.js';
import { markCe } from '../wire/ecn.js';

export interface LinkOptions {
  /** Propagation delay in µs (default 0). */
  delay?: number;
  /**
   * Extra delay drawn uniformly from [0, jitter] µs per packet (default 0).
   * Jitter never reorders: a packet is never delivered before one sent
   * earlier, except one picked by `reorder` or given a scripted `delay`.
   */
  jitter?: number;
  /** Probability that a packet is lost on the wire (default 0). */
  loss?: number;
  /** Probability that a packet is delivered twice (default 0). */
  duplicate?: number;
  /**
   * Probability that a packet is held back by `reorderDelay` µs, letting
   * packets sent after it overtake it (default 0).
   */
  reorder?: number;
  /** Extra delay of a reordered packet in µs (default max(1000, delay)). */
  reorderDelay?: number;
  /** Probability that one random bit of a packet is flipped (default 0). */
  corrupt?: number;
  /** Transmitter rate in bits per second (default: none, no serialization delay). */
  bandwidth?: number;
  /**
   * Packets that may wait for a busy transmitter (not counting the one
   * being serialized); more are tail-dropped. Only with a bandwidth.
   * Default 1000.
   */
  queueLimit?: number;
  /** Largest packet in bytes; longer ones are dropped (default: no limit). */
  mtu?: number;
  /**
   * ECN marking (RFC 3168 §5, a step-threshold AQM): an ECN-capable packet
   * (ECT(0) or ECT(1)) that arrives with at least this many packets waiting
   * for the transmitter is marked CE instead of queued unmarked. Only with
   * a bandwidth. Default: no marking.
   */
  ecnThreshold?: number;
  /**
   * Hand packets that arrive at the same instant to the receiver as one
   * batch, as a NIC that raises one interrupt for a burst does; the
   * receiving stack then answers the burst once (see
   * NetDevice.receiveBatches). A batch holds at most 64 packets, as one
   * NAPI poll in Linux. Default false: each packet is a batch of its
   * own, delivered by its own timer, so a trace is the textbook one.
   */
  batch?: boolean;
}

export type DropReason = 'mtu' | 'queue' | 'scripted' | 'loss' | 'noReceiver';

export interface LinkStats {
  /** Packets handed to `send()`. */
  sent: number;
  /** Packets handed to the receiver, duplicates included. */
  delivered: number;
  /** Packets dropped, by reason. */
  dropped: Record<DropReason, number>;
  /** Extra copies made by duplication (scripted or random). */
  duplicated: number;
  /** Packets with a bit flipped (scripted or random). */
  corrupted: number;
  /** Packets held back by the random `reorder` choice. */
  reordered: number;
  /** Packets given a scripted extra delay. */
  delayed: number;
  /** ECN-capable packets marked CE (see `ecnThreshold`). */
  ecnMarked: number;
}

/** Something that happened on a link, for taps and logs. */
export type LinkEvent =
  | { kind: 'send'; time: number; index: number; packet: Uint8Array }
  | { kind: 'drop'; time: number; index: number; packet: Uint8Array; reason: DropReason }
  | {
      kind: 'deliver';
      time: number;
      index: number;
      packet: Uint8Array;
      /** True for the extra copy made by duplication. */
      duplicate: boolean;
      /** Index of the flipped bit (0 = most significant bit of byte 0), if corrupted. */
      corruptedBit: number | undefined;
    };

/** A predicate for scripted drops: the packet (do not modify it) and its number on the link. */
export type PacketPredicate = (packet: Uint8Array, index: number) => boolean;

/** Most packets in one batch, as a NAPI poll's budget (Linux's default weight, 64). */
const BATCH_LIMIT = 64;

interface Arrival {
  at: number;
  index: number;
  packet: Uint8Array;
  duplicate: boolean;
  corruptedBit: number | undefined;
  /** A watcher or a dropWhere predicate was shown the packet when it was sent. */
  seen: boolean;
}

const EMPTY_ARRIVAL: Arrival = { at: 0, index: 0, packet: new Uint8Array(0), duplicate: false, corruptedBit: undefined, seen: false };

interface Resolved {
  delay: number;
  jitter: number;
  loss: number;
  duplicate: number;
  reorder: number;
  reorderDelay: number;
  corrupt: number;
  bandwidth: number;
  queueLimit: number;
  mtu: number;
  ecnThreshold: number;
  batch: boolean;
  /** Some impairment is drawn at random (its packets' draws are read). */
  random: boolean;
}

/** The raw 32-bit outputs behind a packet's six draws (two per draw: Rng.next). */
const OUTPUTS_PER_PACKET = 12;

function checkUs(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`Link: ${name} must be a whole number of µs >= 0, got ${v}`);
  return v;
}

function checkProbability(name: string, v: number): number {
  if (!(v >= 0 && v <= 1)) throw new RangeError(`Link: ${name} must be a probability in [0, 1], got ${v}`);
  return v;
}

function checkNth(what: string, nth: number): number {
  if (!Number.isSafeInteger(nth) || nth < 1) throw new RangeError(`Link.${what}: packet number must be an integer >= 1, got ${nth}`);
  return nth;
}

function resolve(o: LinkOptions): Resolved {
  const delay = checkUs('delay', o.delay ?? 0);
  const bandwidth = o.bandwidth ?? 0;
  if (!Number.isSafeInteger(bandwidth) || bandwidth < 0) {
    throw new RangeError(`Link: bandwidth must be a whole number of bits/s (0 for none), got ${bandwidth}`);
  }
  const queueLimit = o.queueLimit ?? 1000;
  if (!Number.isSafeInteger(queueLimit) || queueLimit < 0) {
    throw new RangeError(`Link: queueLimit must be a whole number of packets, got ${queueLimit}`);
  }
  const mtu = o.mtu ?? Number.POSITIVE_INFINITY;
  if (!(mtu >= 0)) throw new RangeError(`Link: mtu must be >= 0, got ${mtu}`);
  const jitter = checkUs('jitter', o.jitter ?? 0);
  const loss = checkProbability('loss', o.loss ?? 0);
  const duplicate = checkProbability('duplicate', o.duplicate ?? 0);
  const reorder = checkProbability('reorder', o.reorder ?? 0);
  const corrupt = checkProbability('corrupt', o.corrupt ?? 0);
  return {
    delay,
    jitter,
    loss,
    duplicate,
    reorder,
    reorderDelay: checkUs('reorderDelay', o.reorderDelay ?? Math.max(1000, delay)),
    corrupt,
    bandwidth,
    queueLimit,
    mtu,
    ecnThreshold: o.ecnThreshold === undefined ? Number.POSITIVE_INFINITY : checkUs('ecnThreshold', o.ecnThreshold),
    batch: o.batch === true,
    random: jitter > 0 || loss > 0 || duplicate > 0 || reorder > 0 || corrupt > 0,
  };
}

export class Link {
  /**
   * Called with each packet that arrives; a link with none drops (reason
   * 'noReceiver'). `exclusive`: nobody but the receiver has seen this
   * buffer since the sender gave it away (no watcher, no dropWhere
   * predicate), so once the receiver is done with it, it may reuse it.
   */
  receiver: ((packet: Uint8Array, exclusive: boolean) => void) | null;
  /** Called after each batch of deliveries (one packet, unless `batch`). */
  batchEnd: (() => void) | null = null;
  readonly stats: LinkStats = {
    sent: 0,
    delivered: 0,
    dropped: { mtu: 0, queue: 0, scripted: 0, loss: 0, noReceiver: 0 },
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
    delayed: 0,
    ecnMarked: 0,
  };

  private options: LinkOptions;
  private o: Resolved;
  /** Each packet's six random draws (reused). */
  private readonly draws = new Float64Array(6);
  /** Packets whose six draws are owed: not taken yet, because nothing read them. */
  private drawsOwed = 0;
  private readonly watchers: Array<(e: LinkEvent) => void> = [];
  /** Watchers that may keep the packets they are shown. */
  private keepers = 0;

  // Transmitter: free from txFreeUs + txFreeRem / bandwidth µs on.
  private txFreeUs = Number.NEGATIVE_INFINITY;
  private txFreeRem = 0;
  /** Start times (whole µs, rounded up) of packets waiting for the transmitter, ascending. */
  private waiting: number[] = [];
  private waitingHead = 0;
  /** No ordinary packet is delivered before this time (jitter never reorders). */
  private fifoFloor = Number.NEGATIVE_INFINITY;

  // Scripted faults.
  private readonly scriptDrops = new Set<number>();
  private readonly scriptDropWhere: Array<{ pred: PacketPredicate; left: number }> = [];
  private readonly scriptDelays = new Map<number, number>();
  private readonly scriptDups = new Set<number>();
  private readonly scriptCorrupts = new Set<number>();

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    options: LinkOptions = {},
    receiver: ((packet: Uint8Array, exclusive: boolean) => void) | null = null,
  ) {
    this.options = { ...options };
    this.o = resolve(this.options);
    this.receiver = receiver;
  }

  /** The options in force (as given, defaults not filled in). */
  get config(): Readonly<LinkOptions> {
    return this.options;
  }

  /**
   * Change some options from now on (for example `{ loss: 1 }` to cut the
   * link at a scripted moment). Packets already in flight are unaffected.
   */
  configure(changes: LinkOptions): void {
    const next = { ...this.options, ...changes };
    this.o = resolve(next);
    this.options = next;
  }

  /**
   * Observe every send, drop and delivery. Returns a function that stops
   * observing. The watcher may keep the packets it is shown (they are then
   * never delivered as exclusive, see `receiver`), unless it says
   * `keepsPackets: false`: it reads them during the call only (a hash, a
   * copy), and must not hold a view of one afterwards.
   */
  watch(fn: (e: LinkEvent) => void, opts: { keepsPackets?: boolean } = {}): () => void {
    const keeps = opts.keepsPackets !== false;
    this.watchers.push(fn);
    if (keeps) this.keepers++;
    let stopped = false;
    return () => {
      if (stopped) return;
      stopped = true;
      const i = this.watchers.indexOf(fn);
      if (i >= 0) this.watchers.splice(i, 1);
      if (keeps) this.keepers--;
    };
  }

  /** Packets waiting for the transmitter right now (not counting the one being serialized). */
  queued(): number {
    this.purgeStarted(this.clock.now());
    return this.waiting.length - this.waitingHead;
  }

  // --- scripted faults (evaluated before the random ones) ---

  /** Drop the packet(s) with these numbers (the first packet sent on this link is 1). */
  drop(...nth: number[]): this {
    for (const n of nth) this.scriptDrops.add(checkNth('drop', n));
    return this;
  }

  /** Drop packets for which `pred` is true, at most `times` of them (default: all). */
  dropWhere(pred: PacketPredicate, times = Number.POSITIVE_INFINITY): this {
    if (!(times >= 0)) throw new RangeError(`Link.dropWhere: times must be >= 0, got ${times}`);
    this.scriptDropWhere.push({ pred, left: times });
    return this;
  }

  /** Hold packet number `nth` back by `extraUs` more µs; later packets may overtake it. */
  delay(nth: number, extraUs: number): this {
    checkNth('delay', nth);
    this.scriptDelays.set(nth, (this.scriptDelays.get(nth) ?? 0) + checkUs('delay extra', extraUs));
    return this;
  }

  /** Deliver packet number `nth` twice. */
  dup(...nth: number[]): this {
    for (const n of nth) this.scriptDups.add(checkNth('dup', n));
    return this;
  }

  /** Flip one random bit of packet number `nth`. */
  corrupt(...nth: number[]): this {
    for (const n of nth) this.scriptCorrupts.add(checkNth('corrupt', n));
    return this;
  }

  /** Whether any fault is scripted (sizes only: no lookup per packet on a link without a script). */
  private get hasScript(): boolean {
    return this.scriptDrops.size + this.scriptDropWhere.length + this.scriptDelays.size + this.scriptDups.size + this.scriptCorrupts.size > 0;
  }

  /** Forget every scripted fault. */
  clearScript(): void {
    this.scriptDrops.clear();
    this.scriptDropWhere.length = 0;
    this.scriptDelays.clear();
    this.scriptDups.clear();
    this.scriptCorrupts.clear();
  }

  // --- the data path ---

  /**
   * Put a packet on the link. Ownership passes to the link: the caller must
   * not modify `packet` afterwards. The receiver gets this very buffer,
   * except that a corrupted packet is a modified copy and the extra copy of
   * a duplicated packet is a separate buffer, so nothing the receiver does
   * to one delivery can change another, nor the sender's bytes. A watcher
   * (or a dropWhere predicate) may keep the packets it is shown: a packet
   * seen so is not delivered as `exclusive`, so its receiver never reuses
   * it.
   */
  send(packet: Uint8Array): void {
    const o = this.o;
    const now = this.clock.now();
    const index = ++this.stats.sent;

    // The six draws, taken for every packet, or owed while nothing reads
    // them (see the header comment): then the probabilities are all 0 and
    // the zeros below decide nothing.
    let uLoss = 0;
    let uDup = 0;
    let uCorrupt = 0;
    let uBit = 0;
    let uReorder = 0;
    let uJitter = 0;
    if (o.random || this.scriptCorrupts.size > 0) {
      if (this.drawsOwed > 0) {
        this.rng.discard(this.drawsOwed * OUTPUTS_PER_PACKET);
        this.drawsOwed = 0;
      }
      const u = this.draws;
      this.rng.fillNext(u);
      uLoss = u[0]!;
      uDup = u[1]!;
      uCorrupt = u[2]!;
      uBit = u[3]!;
      uReorder = u[4]!;
      uJitter = u[5]!;
    } else this.drawsOwed++;

    if (this.watchers.length > 0) this.emit({ kind: 'send', time: now, index, packet });

    if (packet.length > o.mtu) return this.dropped(now, index, packet, 'mtu');

    // 3. Transmitter and its FIFO.
    let leaveUs = now;
    if (o.bandwidth > 0) {
      this.purgeStarted(now);
      const busy = this.txFreeUs > now || (this.txFreeUs === now && this.txFreeRem > 0);
      if (busy && this.waiting.length - this.waitingHead >= o.queueLimit) {
        return this.dropped(now, index, packet, 'queue');
      }
      if (busy && this.waiting.length - this.waitingHead >= o.ecnThreshold && markCe(packet)) this.stats.ecnMarked++;
      let startUs = now;
      let startRem = 0;
      if (busy) {
        startUs = this.txFreeUs;
        startRem = this.txFreeRem;
        this.waiting.push(startRem > 0 ? startUs + 1 : startUs);
      }
      // Serialization time = bits * 1e6 / bandwidth µs, kept as q + r/bandwidth.
      const scaled = packet.length * 8 * 1_000_000;
      const q = Math.floor(scaled / o.bandwidth);
      let endUs = startUs + q;
      let endRem = startRem + (scaled - q * o.bandwidth);
      if (endRem >= o.bandwidth) {
        endRem -= o.bandwidth;
        endUs++;
      }
      this.txFreeUs = endUs;
      this.txFreeRem = endRem;
      leaveUs = endRem > 0 ? endUs + 1 : endUs;
    }

    // 4. Scripted faults, then random ones.
    // Scripted faults are looked up only on a link that has some.
    const script = this.hasScript;
    if (script && (this.scriptDrops.has(index) || this.matchDropWhere(packet, index))) {
      return this.dropped(now, index, packet, 'scripted');
    }
    if (uLoss < o.loss) return this.dropped(now, index, packet, 'loss');

    const duplicate = (script && this.scriptDups.has(index)) || uDup < o.duplicate;
    let corruptedBit: number | undefined;
    if (((script && this.scriptCorrupts.has(index)) || uCorrupt < o.corrupt) && packet.length > 0) {
      corruptedBit = Math.floor(uBit * packet.length * 8);
    }
    let extra = 0;
    const scripted = script ? this.scriptDelays.get(index) : undefined;
    if (scripted !== undefined) {
      extra += scripted;
      this.stats.delayed++;
    }
    if (uReorder < o.reorder) {
      extra += o.reorderDelay;
      this.stats.reordered++;
    }

    // 5. Propagation; ordinary packets keep their order.
    let at = leaveUs + o.delay + Math.floor(uJitter * (o.jitter + 1));
    if (at < this.fifoFloor) at = this.fifoFloor;
    this.fifoFloor = at;
    at += extra;

    // Copies are made now, while the bytes are still the sender's.
    const second = duplicate ? packet.slice() : null;
    let first = packet;
    if (corruptedBit !== undefined) {
      first = packet.slice();
      first[corruptedBit >> 3] = first[corruptedBit >> 3]! ^ (0x80 >> (corruptedBit & 7));
      this.stats.corrupted++;
    }
    if (second !== null) this.stats.duplicated++;
    // Whether anyone else was shown the buffer that goes on (the copies
    // made here are the link's own).
    const seen = first === packet && (this.keepers > 0 || this.scriptDropWhere.length > 0);
    if (o.batch) {
      this.arrive(at, index, first, false, corruptedBit, seen);
      if (second !== null) this.arrive(at, index, second, true, undefined, false);
      return;
    }
    this.clock.setTimer(at, () => this.deliverAlone(index, first, false, corruptedBit, seen));
    if (second !== null) this.clock.setTimer(at, () => this.deliverAlone(index, second, true, undefined, false));
  }

  /**
   * Packets of a `batch` link on their way, by arrival time (ties in
   * sending order): arrivals[arrivalsHead, arrivalsEnd). The array keeps
   * its length when it empties (slots past the end hold EMPTY_ARRIVAL):
   * truncating it with `length = 0` made V8 drop its backing store and
   * allocate a new one for the next packet, a cost on every batch.
   */
  private readonly arrivals: Arrival[] = [];
  private arrivalsHead = 0;
  private arrivalsEnd = 0;
  /** When the timer of the next batch fires (Infinity: none set). */
  private batchTimerAt = Number.POSITIVE_INFINITY;

  /** Arrival records delivered and free for reuse (one per packet in flight at most). */
  private readonly spareArrivals: Arrival[] = [];

  private arrive(at: number, index: number, packet: Uint8Array, duplicate: boolean, corruptedBit: number | undefined, seen: boolean): void {
    let a = this.spareArrivals.pop();
    if (a === undefined) a = { at, index, packet, duplicate, corruptedBit, seen };
    else {
      a.at = at;
      a.index = index;
      a.packet = packet;
      a.duplicate = duplicate;
      a.corruptedBit = corruptedBit;
      a.seen = seen;
    }
    const q = this.arrivals;
    const end = this.arrivalsEnd++;
    let i = end;
    while (i > this.arrivalsHead && q[i - 1]!.at > a.at) i--;
    // Later arrivals move up one place (usually none: links keep order).
    for (let k = end; k > i; k--) q[k] = q[k - 1]!;
    q[i] = a;
    this.armBatch();
  }

  private armBatch(): void {
    if (this.arrivalsHead === this.arrivalsEnd) return;
    const head = this.arrivals[this.arrivalsHead]!;
    if (head.at >= this.batchTimerAt) return;
    this.batchTimerAt = head.at;
    this.clock.setTimer(head.at, this.deliverBatch);
  }

  /**
   * Everything due, up to BATCH_LIMIT packets, as one batch. What is left
   * due goes in the next batch, after the timers already set for this
   * instant (a NAPI poll that used up its budget is rescheduled likewise).
   */
  private readonly deliverBatch = (): void => {
    const now = this.clock.now();
    // A stale timer (an earlier packet re-armed the link) finds nothing due yet.
    if (this.batchTimerAt !== now) return;
    this.batchTimerAt = Number.POSITIVE_INFINITY;
    const q = this.arrivals;
    let n = 0;
    while (n < BATCH_LIMIT && this.arrivalsHead < this.arrivalsEnd && q[this.arrivalsHead]!.at <= now) {
      const a = q[this.arrivalsHead]!;
      q[this.arrivalsHead++] = EMPTY_ARRIVAL;
      n++;
      this.deliver(a.index, a.packet, a.duplicate, a.corruptedBit, a.seen);
      a.packet = EMPTY_ARRIVAL.packet; // the record keeps no packet while it waits for reuse
      this.spareArrivals.push(a);
    }
    if (this.arrivalsHead === this.arrivalsEnd) {
      this.arrivalsHead = this.arrivalsEnd = 0;
    } else if (this.arrivalsHead > 1024 && this.arrivalsHead * 2 > this.arrivalsEnd) {
      // Move what waits to the front; the slots it leaves hold EMPTY_ARRIVAL.
      const waiting = this.arrivalsEnd - this.arrivalsHead;
      q.copyWithin(0, this.arrivalsHead, this.arrivalsEnd);
      q.fill(EMPTY_ARRIVAL, waiting, this.arrivalsEnd);
      this.arrivalsHead = 0;
      this.arrivalsEnd = waiting;
    }
    if (n > 0) this.batchEnd?.();
    this.armBatch();
  };

  private deliverAlone(index: number, packet: Uint8Array, duplicate: boolean, corruptedBit: number | undefined, seen: boolean): void {
    if (this.deliver(index, packet, duplicate, corruptedBit, seen)) this.batchEnd?.();
  }

  private deliver(index: number, packet: Uint8Array, duplicate: boolean, corruptedBit: number | undefined, seen: boolean): boolean {
    const now = this.clock.now();
    const receiver = this.receiver;
    if (receiver === null) {
      this.dropped(now, index, packet, 'noReceiver');
      return false;
    }
    this.stats.delivered++;
    if (this.watchers.length > 0) this.emit({ kind: 'deliver', time: now, index, packet, duplicate, corruptedBit });
    receiver(packet, !seen && this.keepers === 0);
    return true;
  }

  private dropped(time: number, index: number, packet: Uint8Array, reason: DropReason): void {
    this.stats.dropped[reason]++;
    if (this.watchers.length > 0) this.emit({ kind: 'drop', time, index, packet, reason });
  }

  private matchDropWhere(packet: Uint8Array, index: number): boolean {
    for (const s of this.scriptDropWhere) {
      if (s.left > 0 && s.pred(packet, index)) {
        s.left--;
        return true;
      }
    }
    return false;
  }

  private purgeStarted(now: number): void {
    while (this.waitingHead < this.waiting.length && this.waiting[this.waitingHead]! <= now) this.waitingHead++;
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }

  private emit(e: LinkEvent): void {
    // Copy the list: a watcher may unsubscribe while being called.
    for (const w of this.watchers.slice()) w(e);
  }
}
