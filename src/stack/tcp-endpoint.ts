// The stack's handles on TCP: an endpoint per connection (the sans-IO core
// plus the driver's bookkeeping) and a listener with its SYN queue and
// accept queue.

import { TcpConnection } from '../tcp/connection.js';
import type { TimeWaitStore } from '../tcp/time-wait.js';
import type { ConnEvent, FourTuple, TcpState } from '../tcp/types.js';
import { formatAddress, mapV4 } from './addr.js';
import type { HeapEntry } from './timer-heap.js';
import type { FifoEntry } from './deadline-fifo.js';

/**
 * Most segments a connection hands the stack as one train to cut (its own
 * limit, 64 KiB of payload, is usually the tighter one).
 */
const SEGMENTATION_OFFLOAD = 64;

/** What the stack offers an endpoint: time, and the drain-and-rearm step. */
export interface TcpHost {
  now(): number;
  /** Drain the connection's segments and events, re-arm its timer. */
  serviceTcp(ep: TcpEndpoint): void;
  /** A listener stops: forget it. */
  unlisten(l: TcpListener): void;
  /** Where quiet TIME-WAIT connections are kept. */
  readonly timeWait: TimeWaitStore;
}

export interface AddressInfo {
  address: string;
  family: 'IPv4' | 'IPv6';
  port: number;
}

/**
 * One TCP connection as the stack drives it. User calls go through here so
 * that whatever they make the core want to send goes out at once and its
 * timer is re-armed. Calls made from the connection's own handler go out
 * when the handler's events have all been heard, in the same instant:
 * what the handler sends or closes rides on the ACK it owes (a request
 * on the handshake's third segment, a response with its FIN and the ACK
 * of the request in one segment).
 */
export class TcpEndpoint implements HeapEntry, FifoEntry {
  deadline = Infinity;
  heapIndex = -1;
  queued = -1;
  private fn: ((ev: ConnEvent) => void) | null = null;
  /** The listener that made it, while it is in that listener's SYN or accept queue. */
  listener: TcpListener | null = null;
  /** Set once the core said 'closed': the endpoint is out of the stack. */
  closed = false;
  /** Retransmissions already added to the stack's counters. */
  countedRetransmits = 0;
  /** Re-entrancy guard of the service loop. */
  servicing = false;
  again = false;
  /** Segments arrived in the open receive batch; serviced when the batch ends. */
  batched = false;
  /** Its place in a listener's SYN queue (see SynQueue). */
  synQueue: SynQueue | null = null;
  synPrev: TcpEndpoint | null = null;
  synNext: TcpEndpoint | null = null;
  /** Events that arrived while nobody owned the endpoint, for the owner to hear first. */
  private pending: ConnEvent[] | null = null;
  private abandoned = false;

  /** The connection, or null while it waits out TIME-WAIT in slot `twSlot` of the host's store. */
  private whole: TcpConnection | null;
  private twSlot = -1;

  constructor(
    private readonly host: TcpHost,
    conn: TcpConnection,
    /**
     * Reported as IPv4-mapped IPv6 addresses: an IPv4 connection accepted
     * by a dual-stack IPv6 listener, as Node reports them.
     */
    readonly mapped: boolean,
  ) {
    this.whole = conn;
    // The stack cuts trains of segments itself (Stack.sendSegment).
    conn.segmentationOffload = SEGMENTATION_OFFLOAD;
  }

  /**
   * The connection. One kept in a TIME-WAIT slot is built again for the
   * caller, and kept whole until the stack next services it.
   */
  get conn(): TcpConnection {
    if (this.whole !== null) return this.whole;
    const c = TcpConnection.fromTimeWait(this.host.timeWait, this.twSlot);
    this.whole = c;
    this.twSlot = -1;
    return c;
  }

  /**
   * Keep a quiet TIME-WAIT connection in a slot of the host's store (a
   * few hundred bytes, none of them objects, in place of a few KB: see
   * time-wait.ts). Called by the stack after each service; does nothing to
   * a connection in any other state or not quiet.
   */
  compact(): void {
    const c = this.whole;
    if (c === null) return;
    const slot = c.toTimeWait(this.host.timeWait);
    if (slot < 0) return;
    this.twSlot = slot;
    this.whole = null;
  }

  /** Kept in a TIME-WAIT slot now. */
  get compacted(): boolean {
    return this.whole === null;
  }

  /**
   * Receives every later event of the connection, in order; null while
   * nobody owns it (not yet accepted, or abandoned). Set this to hear only
   * what happens from now on (the events that waited for an owner are
   * let go); setHandler() hears them first.
   */
  get handler(): ((ev: ConnEvent) => void) | null {
    return this.fn;
  }

  set handler(fn: ((ev: ConnEvent) => void) | null) {
    this.fn = fn;
    if (fn === null) return;
    this.abandoned = false;
    this.pending = null;
  }

  /**
   * Take ownership: `fn` hears the events that arrived while the endpoint
   * waited (in an accept queue), then every later one.
   */
  setHandler(fn: (ev: ConnEvent) => void): void {
    this.fn = fn;
    this.abandoned = false;
    const p = this.pending;
    this.pending = null;
    if (p !== null) for (const ev of p) fn(ev);
  }

  /** Give up ownership: later events are dropped (the stack still runs the connection to CLOSED). */
  detach(): void {
    this.fn = null;
    this.abandoned = true;
    this.pending = null;
  }

  /** An event from the core (called by the stack). */
  deliver(ev: ConnEvent): void {
    const fn = this.fn;
    if (fn !== null) {
      fn(ev);
      return;
    }
    if (this.abandoned) return;
    const p = (this.pending ??= []);
    const last = p[p.length - 1];
    // Repeated 'readable'/'writable' say nothing new.
    if (last !== undefined && last.type === ev.type && (ev.type === 'readable' || ev.type === 'writable')) return;
    p.push(ev);
  }

  // What a record can answer does not rebuild the connection.
  get tuple(): FourTuple {
    return this.whole !== null ? this.whole.tuple : this.host.timeWait.tuple(this.twSlot);
  }

  get state(): TcpState {
    return this.whole !== null ? this.whole.state : 'TIME_WAIT';
  }

  get family(): 'IPv4' | 'IPv6' {
    return this.mapped || this.tuple.localAddr.length === 16 ? 'IPv6' : 'IPv4';
  }

  get localAddress(): string {
    const a = this.tuple.localAddr;
    return formatAddress(this.mapped ? mapV4(a) : a);
  }

  get remoteAddress(): string {
    const a = this.tuple.remoteAddr;
    return formatAddress(this.mapped ? mapV4(a) : a);
  }

  get localPort(): number {
    return this.tuple.localPort;
  }

  get remotePort(): number {
    return this.tuple.remotePort;
  }

  address(): AddressInfo {
    return { address: this.localAddress, family: this.family, port: this.localPort };
  }

  get readableLength(): number {
    // A slot is taken only once everything was read; nothing is written in TIME-WAIT.
    return this.whole !== null ? this.whole.readableLength : 0;
  }

  get writableLength(): number {
    return this.whole !== null ? this.whole.writableLength : 0;
  }

  /** Queue bytes (copied); returns how many the send buffer took. */
  send(data: Uint8Array): number {
    const n = this.conn.send(data, this.host.now());
    this.host.serviceTcp(this);
    return n;
  }

  /** Take up to `max` in-order bytes (a fresh copy), or null. */
  read(max?: number): Uint8Array | null {
    const d = this.conn.read(max, this.host.now());
    this.host.serviceTcp(this);
    return d;
  }

  /** Move up to dst.length in-order bytes into `dst`; returns how many (0: none waiting). */
  readInto(dst: Uint8Array): number {
    const n = this.conn.readInto(dst, this.host.now());
    if (n > 0) this.host.serviceTcp(this);
    return n;
  }

  /** Half-close: FIN after the queued data. */
  shutdown(): void {
    this.conn.shutdown(this.host.now());
    this.host.serviceTcp(this);
  }

  /** Full close (RST if unread data remains, RFC 1122 §4.2.2.13). */
  close(): void {
    this.conn.close(this.host.now());
    this.host.serviceTcp(this);
  }

  /** Abort: RST, CLOSED. */
  abort(): void {
    this.conn.abort(this.host.now());
    this.host.serviceTcp(this);
  }

  /**
   * Resize the receive or send buffer of the open connection (SO_RCVBUF /
   * SO_SNDBUF); neither drops below the bytes it holds. Returns the size in
   * force. A larger receive buffer is offered in a window update.
   */
  setBufferSize(which: 'rcv' | 'snd', bytes: number): number {
    const size = this.conn.setBufferSize(which, bytes, this.host.now());
    this.host.serviceTcp(this);
    return size;
  }

  setNoDelay(noDelay: boolean): void {
    this.conn.setNoDelay(noDelay);
    this.host.serviceTcp(this);
  }

  /** `idle` in µs (undefined: the profile's). */
  setKeepAlive(enable: boolean, idle?: number): void {
    this.conn.setKeepAlive(enable, idle, this.host.now());
    this.host.serviceTcp(this);
  }
}

/**
 * A listener's half-open connections, oldest first: a list through the
 * endpoints themselves, so that joining and leaving it (once per
 * handshake) allocates nothing and builds no key.
 */
export class SynQueue {
  private head: TcpEndpoint | null = null;
  private tail: TcpEndpoint | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(ep: TcpEndpoint): boolean {
    return ep.synQueue === this;
  }

  /** Append `ep` (a no-op if it is already here; an endpoint is in one queue at most). */
  add(ep: TcpEndpoint): this {
    if (ep.synQueue === this) return this;
    ep.synQueue?.delete(ep);
    ep.synQueue = this;
    ep.synPrev = this.tail;
    ep.synNext = null;
    if (this.tail !== null) this.tail.synNext = ep;
    else this.head = ep;
    this.tail = ep;
    this.count++;
    return this;
  }

  /** Remove `ep`; whether it was here. */
  delete(ep: TcpEndpoint): boolean {
    if (ep.synQueue !== this) return false;
    const { synPrev: prev, synNext: next } = ep;
    if (prev !== null) prev.synNext = next;
    else this.head = next;
    if (next !== null) next.synPrev = prev;
    else this.tail = prev;
    ep.synQueue = ep.synPrev = ep.synNext = null;
    this.count--;
    return true;
  }

  clear(): void {
    while (this.head !== null) this.delete(this.head);
  }

  *[Symbol.iterator](): IterableIterator<TcpEndpoint> {
    for (let ep = this.head; ep !== null; ) {
      const next = ep.synNext;
      yield ep;
      ep = next;
    }
  }
}

/**
 * A listening socket. Handshakes in progress wait in the SYN queue; those
 * completed wait in the accept queue until `accept()` (or, with
 * `onConnection` set, are handed over as they complete). The backlog bounds
 * the accept queue as Linux does: with it full, new SYNs are dropped and
 * so is the ACK that would complete a handshake, so the peer retries
 * rather than being refused.
 */
export class TcpListener {
  readonly synQueue = new SynQueue();
  readonly acceptQueue: TcpEndpoint[] = [];
  /** Called for each connection as its handshake completes; when null, they wait for accept(). */
  onConnection: ((ep: TcpEndpoint) => void) | null = null;
  closed = false;
  /** When this listener last answered a SYN with a cookie (µs; -Infinity: never). */
  cookieSentAt = -Infinity;

  constructor(
    private readonly host: TcpHost,
    /** The bound address (4 or 16 bytes, possibly unspecified). */
    readonly addr: Uint8Array,
    readonly port: number,
    /** Most completed connections waiting for accept(). */
    public backlog: number,
    /** Most half-open connections (SYN_RECEIVED). */
    public maxSynQueue: number,
    /** An IPv6 wildcard listener that also takes IPv4 (false: dual stack, Node's default). */
    readonly ipv6Only: boolean,
    /** The key under which the stack files it. */
    readonly key: string,
  ) {}

  get family(): 'IPv4' | 'IPv6' {
    return this.addr.length === 16 ? 'IPv6' : 'IPv4';
  }

  address(): AddressInfo {
    return { address: formatAddress(this.addr), family: this.family, port: this.port };
  }

  get acceptQueueFull(): boolean {
    return this.acceptQueue.length >= this.backlog;
  }

  /** The oldest completed connection, or undefined. */
  accept(): TcpEndpoint | undefined {
    const ep = this.acceptQueue.shift();
    if (ep !== undefined) ep.listener = null;
    return ep;
  }

  /**
   * Stop listening. Connections not yet accepted are reset, as a closing
   * listen socket does.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.unlisten(this);
    const pending = [...this.synQueue, ...this.acceptQueue];
    this.synQueue.clear();
    this.acceptQueue.length = 0;
    for (const ep of pending) {
      ep.listener = null;
      ep.abort();
    }
  }
}
