// A tiny two-host harness for the sans-IO core: virtual time, a queue of
// segments in flight, hooks to drop / delay / duplicate specific segments,
// and a listener on host B that opens passive connections for SYNs. Hosts
// with no live connection answer with resetFor(), like a stack would.

import { TcpConnection, resetFor, type OpenOptions } from '../../src/tcp/connection.js';
import type { ConnEvent, FourTuple } from '../../src/tcp/types.js';
import { profile, type TcpConfig } from '../../src/tcp/config.js';
import fc from 'fast-check';
import { ACK, FIN, PSH, RST, SYN, type Segment } from '../../src/wire/tcp-types.js';

export const MS = 1000;
export const S = 1_000_000;

export type Side = 'A' | 'B';

export interface Sent {
  /** Send time (µs). */
  t: number;
  from: Side;
  seg: Segment;
  /** Index among all segments sent, from 0. */
  n: number;
  dropped: boolean;
  /** Sent by the host on behalf of no connection (resetFor). */
  unconnected: boolean;
}

export interface Fate {
  drop?: boolean;
  /** Extra one-way delay for this segment (µs). */
  delay?: number;
  /** Deliver a second copy, this much later than the first. */
  duplicateAfter?: number;
}

export interface TimedEvent {
  t: number;
  ev: ConnEvent;
}

export class Host {
  conn: TcpConnection | undefined;
  /** Every connection this host ever had, oldest first. */
  readonly history: TcpConnection[] = [];
  readonly events: TimedEvent[] = [];
  readonly received: Uint8Array[] = [];
  /** Read everything as soon as it is readable. */
  autoRead = true;
  /** Called for each event after it is recorded. */
  onEvent: ((ev: ConnEvent, host: Host, net: Net) => void) | undefined;
  /** When set, SYNs for no live connection open a passive one. */
  listen: { config: TcpConfig; mss: number; iss: number; tsOffset?: number } | undefined;

  constructor(
    readonly name: Side,
    readonly tuple: FourTuple,
  ) {}

  get live(): TcpConnection | undefined {
    return this.conn !== undefined && this.conn.state !== 'CLOSED' ? this.conn : undefined;
  }

  receivedBytes(): Uint8Array {
    let n = 0;
    for (const c of this.received) n += c.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.received) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }

  eventTypes(): string[] {
    return this.events.map((e) => (e.ev.type === 'state' ? `${e.ev.from}>${e.ev.to}` : e.ev.type === 'error' ? `error:${e.ev.code}` : e.ev.type));
  }

  timeOf(type: ConnEvent['type'], pred: (ev: ConnEvent) => boolean = () => true): number | undefined {
    return this.events.find((e) => e.ev.type === type && pred(e.ev))?.t;
  }
}

interface InFlight {
  at: number;
  order: number;
  to: Side;
  seg: Segment;
}

export class Net {
  now = 0;
  /** One-way delay (µs). */
  delay = 10 * MS;
  readonly a: Host;
  readonly b: Host;
  readonly log: Sent[] = [];
  /** Decide the fate of each segment as it is sent. */
  fate: ((s: Sent) => Fate | boolean | undefined) | undefined;
  private readonly queue: InFlight[] = [];
  private order = 0;

  constructor() {
    const addrA = Uint8Array.of(10, 0, 0, 1);
    const addrB = Uint8Array.of(10, 0, 0, 2);
    this.a = new Host('A', { localAddr: addrA, localPort: 40000, remoteAddr: addrB, remotePort: 80 });
    this.b = new Host('B', { localAddr: addrB, localPort: 80, remoteAddr: addrA, remotePort: 40000 });
  }

  host(s: Side): Host {
    return s === 'A' ? this.a : this.b;
  }

  /** A connects to B. */
  connect(config: TcpConfig, o: Partial<Omit<OpenOptions, 'config' | 'tuple' | 'now'>> = {}): TcpConnection {
    const c = TcpConnection.openActive({ config, tuple: this.a.tuple, iss: o.iss ?? 1000, now: this.now, mss: o.mss ?? 1460, ...(o.tsOffset !== undefined ? { tsOffset: o.tsOffset } : {}) });
    this.attach(this.a, c);
    return c;
  }

  /** Open actively from `side` (for simultaneous open). */
  open(side: Side, config: TcpConfig, iss: number, extra: { mss?: number; tsOffset?: number } = {}): TcpConnection {
    const h = this.host(side);
    const c = TcpConnection.openActive({ config, tuple: h.tuple, iss, now: this.now, mss: extra.mss ?? 1460, ...(extra.tsOffset !== undefined ? { tsOffset: extra.tsOffset } : {}) });
    this.attach(h, c);
    return c;
  }

  attach(h: Host, c: TcpConnection): void {
    h.conn = c;
    h.history.push(c);
    this.flush();
  }

  /** Inject a segment as if `from` had sent it (it goes through `fate` and the log). */
  inject(from: Side, seg: Segment): void {
    this.transmit(from, seg, true);
  }

  /** Run until `until` (absolute µs) or until nothing is left to do. */
  run(until: number): void {
    for (let guard = 0; guard < 10_000_000; guard++) {
      this.flush();
      const next = Math.min(this.queue.length > 0 ? this.queue[0]!.at : Infinity, this.deadline(this.a), this.deadline(this.b));
      if (next === Infinity || next > until) {
        if (until !== Infinity) this.now = Math.max(this.now, until);
        return;
      }
      this.now = Math.max(this.now, next);
      if (this.queue.length > 0 && this.queue[0]!.at <= this.now) {
        const p = this.queue.shift()!;
        this.deliver(p);
        continue;
      }
      for (const h of [this.a, this.b]) {
        const c = h.live;
        if (c !== undefined && c.nextDeadline() <= this.now) {
          c.onTimer(this.now);
          this.flush();
        }
      }
    }
    throw new Error(`harness: runaway loop at ${this.now}\n${this.log.slice(-30).map(fmt).join('\n')}`);
  }

  /** Run for `d` µs from now. */
  runFor(d: number): void {
    this.run(this.now + d);
  }

  /** Drain both hosts' transmit and event queues. */
  flush(): void {
    for (let changed = true, g = 0; changed; g++) {
      if (g > 100_000) throw new Error('harness: events or segments without end');
      changed = false;
      for (const h of [this.a, this.b]) {
        const c = h.conn;
        if (c === undefined) continue;
        for (let s = c.pollTransmit(); s !== undefined; s = c.pollTransmit()) {
          this.transmit(h.name, s, false);
          changed = true;
        }
        for (let ev = c.pollEvent(); ev !== undefined; ev = c.pollEvent()) {
          h.events.push({ t: this.now, ev });
          if (ev.type === 'readable' && h.autoRead) {
            for (let d = c.read(undefined, this.now); d !== null; d = c.read(undefined, this.now)) h.received.push(d);
          }
          h.onEvent?.(ev, h, this);
          changed = true;
        }
      }
    }
  }

  private deadline(h: Host): number {
    return h.live?.nextDeadline() ?? Infinity;
  }

  private transmit(from: Side, sent: Segment, unconnected: boolean): void {
    // The payload may be a view of the sender's buffer, good only until the
    // next call into it: the log and the link keep their own copy.
    const seg = sent.payload.length > 0 ? { ...sent, payload: sent.payload.slice() } : sent;
    const s: Sent = { t: this.now, from, seg, n: this.log.length, dropped: false, unconnected };
    this.log.push(s);
    let f = this.fate?.(s);
    if (typeof f === 'boolean') f = { drop: f };
    if (f?.drop) {
      s.dropped = true;
      return;
    }
    const to: Side = from === 'A' ? 'B' : 'A';
    this.enqueue({ at: this.now + this.delay + (f?.delay ?? 0), order: this.order++, to, seg });
    if (f?.duplicateAfter !== undefined) this.enqueue({ at: this.now + this.delay + (f.delay ?? 0) + f.duplicateAfter, order: this.order++, to, seg });
  }

  private enqueue(p: InFlight): void {
    const q = this.queue;
    let i = q.length;
    while (i > 0 && (q[i - 1]!.at > p.at || (q[i - 1]!.at === p.at && q[i - 1]!.order > p.order))) i--;
    q.splice(i, 0, p);
  }

  private deliver(p: InFlight): void {
    const h = this.host(p.to);
    const c = h.live;
    if (c !== undefined) {
      c.onSegment(p.seg, this.now);
      this.flush();
      return;
    }
    if (h.listen !== undefined && (p.seg.flags & (SYN | ACK | RST)) === SYN) {
      const l = h.listen;
      const nc = TcpConnection.openPassive({
        config: l.config,
        tuple: h.tuple,
        iss: l.iss,
        now: this.now,
        mss: l.mss,
        syn: p.seg,
        ...(l.tsOffset !== undefined ? { tsOffset: l.tsOffset } : {}),
      });
      this.attach(h, nc);
      return;
    }
    const r = resetFor(p.seg);
    if (r !== undefined) this.transmit(h.name, r, true);
  }

  /** Segments sent by `from` (all, or only those that were not dropped). */
  sent(from?: Side, delivered = false): Sent[] {
    return this.log.filter((s) => (from === undefined || s.from === from) && (!delivered || !s.dropped));
  }
}

export function flagString(f: number): string {
  let s = '';
  if (f & SYN) s += 'S';
  if (f & FIN) s += 'F';
  if (f & RST) s += 'R';
  if (f & PSH) s += 'P';
  if (f & ACK) s += '.';
  return s === '' ? 'none' : s;
}

/** A compact tcpdump-like line for assertions and failure messages (sequence numbers absolute). */
export function fmt(s: Sent): string {
  const g = s.seg;
  const parts = [`${(s.t / S).toFixed(6)} ${s.from}`, `[${flagString(g.flags)}]`, `seq ${g.seq}`];
  if (g.flags & ACK) parts.push(`ack ${g.ack}`);
  parts.push(`win ${g.window}`, `len ${g.payload.length}`);
  if (s.dropped) parts.push('(dropped)');
  return parts.join(' ');
}

export function dump(net: Net): string {
  return net.log.map(fmt).join('\n');
}

/** Deterministic bytes for payloads. */
export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A small seeded PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A's first data byte when it connects with the default ISS (1000). */
export const DATA0 = 1001;

/** A connected to a listening B, both with `cfg` and timestamps from 0, run until ESTABLISHED (10 ms one way). */
export function connected(cfg: TcpConfig): { net: Net; a: TcpConnection } {
  const net = new Net();
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(cfg, { tsOffset: 0 });
  net.runFor(100 * MS);
  if (a.state !== 'ESTABLISHED') throw new Error(`harness: A is ${a.state} after the handshake\n${dump(net)}`);
  return { net, a };
}

/** A segment from A carrying data. */
export const isDataFromA = (s: Sent): boolean => s.from === 'A' && s.seg.payload.length > 0;

/** What a connection said after a stimulus: its segments (as plain data) and events. */
export interface Observed {
  segments: unknown[];
  events: unknown[];
}

/** Drain `c`'s segments and events into `into` (for differential tests that compare two connections). */
export function drainObserved(c: TcpConnection, into: Observed): void {
  for (let seg = c.pollTransmit(); seg !== undefined; seg = c.pollTransmit()) {
    into.segments.push({ ...seg, options: JSON.parse(JSON.stringify(seg.options)) as unknown, payload: Array.from(seg.payload) });
  }
  for (let ev = c.pollEvent(); ev !== undefined; ev = c.pollEvent()) into.events.push({ ...ev });
}

/**
 * A connects to B (fixed ISNs and timestamp offsets) over a path that loses
 * packets at random (rate `loss`, from `lossSeed`); once ESTABLISHED, A
 * sends `aBytes` and B `bBytes`, and the net runs for `settle` µs, the loss
 * still on. Undefined if the handshake did not complete in 500 ms.
 */
export function lossyPair(cfg: TcpConfig, o: { lossSeed: number; loss: number; aBytes: number; bBytes: number; settle: number }): { net: Net; a: TcpConnection; b: TcpConnection } | undefined {
  const net = new Net();
  net.b.listen = { config: cfg, mss: 1460, iss: 0xfffff000, tsOffset: 7 };
  let x = o.lossSeed;
  net.fate = () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32 < o.loss;
  };
  const a = net.connect(cfg, { iss: 0x7ffffff0, tsOffset: 0x80000000 });
  net.runFor(500 * MS);
  const b = net.b.conn;
  if (b === undefined || a.state !== 'ESTABLISHED') return undefined;
  if (o.aBytes > 0) a.send(pattern(o.aBytes, 1), net.now);
  if (o.bBytes > 0) b.send(pattern(o.bBytes, 2), net.now);
  net.flush();
  net.runFor(o.settle);
  return { net, a, b };
}

/** The protocol options the differential tests vary. */
export interface OptionChoice {
  /** The bsd profile's timers instead of linux's. */
  bsd: boolean;
  timestamps: boolean;
  sack: boolean;
  windowScaling: boolean;
  ecn: boolean;
}

/** Arbitraries for OptionChoice's fields, to spread into a test's fc.record. */
export const optionChoice = {
  bsd: fc.boolean(),
  timestamps: fc.boolean(),
  sack: fc.boolean(),
  windowScaling: fc.boolean(),
  ecn: fc.boolean(),
};

/** The configuration for a choice of options, with `extra` on top. */
export function configFor(o: OptionChoice, extra: Partial<TcpConfig> = {}): TcpConfig {
  return profile(o.bsd ? 'bsd' : 'linux', {
    timestamps: o.timestamps,
    sack: o.sack,
    windowScaling: o.windowScaling,
    ecn: o.ecn ? 'on' : 'off',
    ...extra,
  });
}
