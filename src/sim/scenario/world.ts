// Two hosts, A and B, each a full synack Stack, joined by a simulated link
// pair in virtual time: the stage every named scenario plays on. Everything
// on the wire and every TCP state change lands in one Timeline.

import { Stack } from '../../stack/stack.js';
import type { TcpEndpoint, TcpListener } from '../../stack/tcp-endpoint.js';
import { parseAddress } from '../../stack/addr.js';
import type { NetDevice } from '../../link/device.js';
import { profile, type ProfileName, type TcpConfig } from '../../tcp/config.js';
import type { ConnEvent, TcpErrorCode } from '../../tcp/types.js';
import { createLinkPair, type LinkPair } from '../device.js';
import type { LinkOptions } from '../link.js';
import { Rng } from '../rng.js';
import { VirtualClock } from '../virtual-clock.js';
import { Timeline, type Side } from './timeline.js';

export interface WorldOptions {
  profile?: ProfileName;
  /** Overrides of the profile on both hosts. */
  tcp?: Partial<TcpConfig>;
  seed?: number;
  /** One-way propagation delay in µs (default 10 ms). */
  delay?: number;
  /** Impairments per direction. */
  ab?: LinkOptions;
  ba?: LinkOptions;
  mtu?: number;
  /** Most half-open connections per listener (the stack's maxSynQueue; default 256). */
  maxSynQueue?: number;
}

/** A device seen through a switch: a crashed or replaced host's stack neither sends nor hears. */
class HostPort implements NetDevice {
  enabled = true;
  onReceive: ((packet: Uint8Array) => void) | null = null;

  constructor(private readonly device: NetDevice) {}

  get mtu(): number {
    return this.device.mtu;
  }

  send(packet: Uint8Array): void {
    if (this.enabled) this.device.send(packet);
  }

  deliver(packet: Uint8Array): void {
    if (this.enabled && this.onReceive !== null) this.onReceive(packet);
  }

  close(): void {
    this.enabled = false;
  }
}

/** One side's view of a connection: what it received and how it ended. */
export class Conn {
  readonly received: Uint8Array[] = [];
  eof = false;
  error: TcpErrorCode | undefined;
  closed = false;
  established = false;
  /** While paused, the application reads nothing and the receive buffer fills. */
  paused = false;

  constructor(
    readonly side: Side,
    readonly ep: TcpEndpoint,
  ) {}

  /** Read whatever is waiting. */
  drain(): void {
    for (let d = this.ep.read(); d !== null; d = this.ep.read()) this.received.push(d);
  }

  /** Start reading again, taking what piled up. */
  resume(): void {
    this.paused = false;
    this.drain();
  }

  /** Everything received so far, as one buffer. */
  bytes(): Uint8Array {
    const n = this.received.reduce((s, b) => s + b.length, 0);
    const out = new Uint8Array(n);
    let o = 0;
    for (const b of this.received) {
      out.set(b, o);
      o += b.length;
    }
    return out;
  }

  text(): string {
    return new TextDecoder().decode(this.bytes());
  }

  handle(ev: ConnEvent): void {
    switch (ev.type) {
      case 'established':
        this.established = true;
        break;
      case 'readable':
        if (!this.paused) this.drain();
        break;
      case 'eof':
        this.eof = true;
        break;
      case 'error':
        this.error = ev.code;
        break;
      case 'closed':
        this.closed = true;
        break;
      default:
        break;
    }
  }
}

export const ADDRESS: Record<Side, string> = { A: '10.0.0.1', B: '10.0.0.2' };

function addressOf(side: Side): Uint8Array {
  return parseAddress(ADDRESS[side])!;
}

export class World {
  readonly clock = new VirtualClock();
  readonly timeline = new Timeline();
  readonly pair: LinkPair;
  readonly config: TcpConfig;
  private readonly rng: Rng;
  private readonly hosts = new Map<Side, Stack>();
  private readonly ports = new Map<Side, HostPort>();
  private incarnation = 0;
  private readonly maxSynQueue: number | undefined;
  /** Connections each side accepted, in order. */
  readonly accepted: Record<Side, Conn[]> = { A: [], B: [] };
  /** Every connection of each side, opened or accepted, in order. */
  private readonly conns: Record<Side, Conn[]> = { A: [], B: [] };
  /** Congestion window and slow-start threshold of each side's latest connection, sampled at each segment it sends. */
  readonly cwnd: Record<Side, { t: number; cwnd: number; ssthresh: number }[]> = { A: [], B: [] };

  constructor(opts: WorldOptions = {}) {
    this.rng = new Rng(opts.seed ?? 1);
    this.maxSynQueue = opts.maxSynQueue;
    this.config = profile(opts.profile ?? 'linux', opts.tcp ?? {});
    const delay = opts.delay ?? 10_000;
    const pairOpts = { ab: { delay, ...opts.ab }, ba: { delay, ...opts.ba }, ...(opts.mtu !== undefined ? { mtu: opts.mtu } : {}) };
    this.pair = createLinkPair(this.clock, this.rng.fork('links'), pairOpts);
    this.timeline.watchLink(this.pair.ab, 'A');
    this.timeline.watchLink(this.pair.ba, 'B');
    for (const [link, side] of [[this.pair.ab, 'A'], [this.pair.ba, 'B']] as const) {
      link.watch((e) => {
        if (e.kind !== 'send') return;
        const list = this.conns[side];
        const c = list[list.length - 1];
        if (c !== undefined) this.cwnd[side].push({ t: e.time, cwnd: c.ep.conn.cwnd, ssthresh: c.ep.conn.ssthresh });
      }, { keepsPackets: false });
    }
    this.pair.a.onReceive = (p) => this.ports.get('A')?.deliver(p);
    this.pair.b.onReceive = (p) => this.ports.get('B')?.deliver(p);
    this.boot('A');
    this.boot('B');
  }

  /** A fresh stack for `side` (at start, or after a reboot). */
  private boot(side: Side): Stack {
    const device = side === 'A' ? this.pair.a : this.pair.b;
    const port = new HostPort(device);
    // HostPort forwards to whatever handler the stack installs.
    const stack = new Stack({ clock: this.clock, random: this.rng.fork(`host-${side}-${this.incarnation++}`), tcp: this.config, icmpRateLimit: false, ...(this.maxSynQueue !== undefined ? { maxSynQueue: this.maxSynQueue } : {}) });
    stack.addInterface({ device: port, addresses: `${ADDRESS[side]}/24`, defaultRoute: true });
    stack.onConnEvent = (ep, ev) => {
      if (ev.type !== 'state') return;
      // A half-open connection of a listener that is reset or given up on
      // leaves the listener as it was: the RFC's "return to LISTEN".
      const to = ev.from === 'SYN_RECEIVED' && ev.to === 'CLOSED' && ep.listener !== null ? 'LISTEN' : ev.to;
      this.timeline.state(ev.at, side, ev.from, to);
    };
    this.ports.set(side, port);
    this.hosts.set(side, stack);
    return stack;
  }

  stack(side: Side): Stack {
    return this.hosts.get(side)!;
  }

  get now(): number {
    return this.clock.now();
  }

  /** Run `fn` at simulated time `t` (µs). */
  at(t: number, fn: () => void): void {
    this.clock.setTimer(t, fn);
  }

  runUntil(t: number): void {
    this.clock.runUntil(t);
  }

  note(text: string, side?: Side): void {
    this.timeline.note(this.clock.now(), text, side);
  }

  /** `side` listens on `port`; connections it accepts are collected in `accepted[side]`. */
  listen(side: Side, port: number, backlog?: number): TcpListener {
    const l = this.stack(side).tcpListen({ addr: addressOf(side), port, ...(backlog !== undefined ? { backlog } : {}) });
    this.timeline.state(this.clock.now(), side, 'CLOSED', 'LISTEN');
    l.onConnection = (ep) => {
      const c = new Conn(side, ep);
      ep.handler = (ev) => c.handle(ev);
      this.accepted[side].push(c);
      this.conns[side].push(c);
    };
    return l;
  }

  /** `side` opens a connection to the other side's `port`. */
  connect(side: Side, port: number, localPort?: number): Conn {
    const other: Side = side === 'A' ? 'B' : 'A';
    const ep = this.stack(side).tcpConnect({ remoteAddr: addressOf(other), remotePort: port, ...(localPort !== undefined ? { localPort } : {}) });
    const c = new Conn(side, ep);
    ep.handler = (ev) => c.handle(ev);
    this.conns[side].push(c);
    return c;
  }

  /** The host stops dead: it neither sends nor receives, and its state is kept (a pulled cable, a hung machine). */
  crash(side: Side): void {
    this.ports.get(side)!.enabled = false;
    this.note(`host ${side} crashes (silent from now on)`, side);
  }

  /** The host comes back with no memory of any connection. */
  reboot(side: Side): Stack {
    this.ports.get(side)!.enabled = false;
    this.note(`host ${side} reboots (all connection state lost)`, side);
    return this.boot(side);
  }
}
