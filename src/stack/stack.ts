// The Stack: interfaces and routes, IPv4 and IPv6 side by side, ICMP and
// ICMPv6, UDP sockets, and TCP — demultiplexing by 4-tuple, listeners,
// ephemeral ports, and one timer heap driving every connection's deadlines
// on the injected Clock (DESIGN rule 2).
//
// Packets never throw past the stack (DESIGN rule 5): what cannot be parsed
// or is not for us is counted in `stats` and dropped.

import type { NetDevice } from '../link/device.js';
import { recycleSegment, TcpConnection, resetFor } from '../tcp/connection.js';
import { findTimestamp } from '../tcp/options.js';
import { LINUX_PROFILE, type TcpConfig } from '../tcp/config.js';
import { seqLe, seqLt } from '../tcp/seq.js';
import { cookieSynAckWindow, COOKIE_PERIOD, SynCookies } from '../tcp/syncookie.js';
import type { ConnEvent, FourTuple, IcmpSignal } from '../tcp/types.js';
import { get16, get32, get32s, u8sub } from '../wire/bytes.js';
import type { WireError } from '../wire/errors.js';
import {
  emitIcmp,
  icmpLength,
  IPPROTO_ICMP,
  ICMP_UNREACH_PORT,
  ICMP_UNREACH_PROTOCOL,
  parseIcmp,
  type IcmpMessage,
} from '../wire/icmp.js';
import {
  emitIcmpv6,
  icmpv6Length,
  IPPROTO_ICMPV6,
  ICMPV6_UNREACH_PORT,
  parseIcmpv6,
  type Icmpv6Message,
} from '../wire/icmpv6.js';
import { pieceSums, pseudoHeaderSum, sum20 } from '../wire/checksum.js';
import { emitIpv4, parseIpv4, writeIpv4Header } from '../wire/ipv4.js';
import { emitIpv6, IPV6_NO_NEXT_HEADER, parseIpv6 } from '../wire/ipv6.js';
import { ACK, FIN, PSH, RST, SYN, type Segment } from '../wire/tcp-types.js';
import { emptyTcpHeaderView, IPPROTO_TCP, ownTcpHeaderLength, parseTcp, parseTcpInto, verifyTcpChecksum, writeTcp, type TcpHeaderView, type TimestampOption } from '../wire/tcp.js';
import { prepareTrain, writeTrainPiece, type TrainHeader } from '../wire/tcp-train.js';
import { emitUdp, IPPROTO_UDP, parseUdp } from '../wire/udp.js';
import { packetSlab } from '../wire/slab.js';
import { TupleTable } from './tuple-table.js';
import {
  addrEqual,
  addrKey,
  endpointKey,
  formatAddress,
  IPV4_ANY,
  IPV6_ANY,
  isLoopback,
  isMulticastOrBroadcast,
  isUnspecified,
  isV4Mapped,
  parseAddress,
  unmapV4,
} from './addr.js';
import type { Clock, TimerHandle } from './clock.js';
import { StackError } from './errors.js';
import { HashInput, hashKeyFromBytes, type HashKey } from './hash.js';
import {
  icmp4UnreachableSignal,
  icmp6PacketTooBigSignal,
  icmp6ParameterProblemSignal,
  icmp6UnreachableSignal,
  IPV6_MIN_MTU,
  TIME_EXCEEDED_SIGNAL,
} from './icmp-errors.js';
import { PortAllocator, DEFAULT_EPHEMERAL_RANGE } from './ports.js';
import { PlatformRandom, randomBytes, type RandomSource } from './random.js';
import { parseCidr, RoutingTable } from './routes.js';
import { newStats, type DropInfo, type DropReason, type StackStats } from './stats.js';
import { TcpEndpoint, TcpListener, type TcpHost } from './tcp-endpoint.js';
import { TimeWaitStore } from '../tcp/time-wait.js';
import { TimerHeap } from './timer-heap.js';
import { DeadlineFifo } from './deadline-fifo.js';
import { UdpSocket, type UdpHost, type UdpSocketOptions } from './udp-socket.js';

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const TCP_HEADER = 20;
/** MTU of the built-in loopback path (127.0.0.0/8, ::1 and our own addresses). */
export const LOOPBACK_MTU = 65535;
/** RFC 1191 §6.3: forget a learned path MTU after 10 minutes. */
const PMTU_AGE = 600_000_000;
/** Linux's SOMAXCONN. */
export const DEFAULT_BACKLOG = 511;

export interface InterfaceOptions {
  device: NetDevice;
  /** One or more addresses with their prefix, e.g. '10.0.0.1/24', 'fd00::1/64'. */
  addresses: string | readonly string[];
  /** Defaults to if0, if1, ... */
  name?: string;
  /** Defaults to the device's MTU. */
  mtu?: number;
  /** Route everything (both families) not otherwise routed through this interface. */
  defaultRoute?: boolean;
}

export interface InterfaceAddress {
  addr: Uint8Array;
  prefixLength: number;
}

/** An interface: a device carrying raw IP packets, with its addresses. */
export class NetInterface {
  constructor(
    readonly name: string,
    readonly device: NetDevice,
    public mtu: number,
    readonly addresses: InterfaceAddress[],
  ) {}

  /** The first address of the family of `dst` on this interface (one in the same prefix first). */
  sourceFor(dst: Uint8Array): Uint8Array | undefined {
    let first: Uint8Array | undefined;
    for (const a of this.addresses) {
      if (a.addr.length !== dst.length) continue;
      first ??= a.addr;
    }
    return first;
  }
}

export interface IcmpRateLimit {
  /** Errors that may be sent back to back. */
  burst: number;
  /** Errors per second in the long run. */
  perSecond: number;
}

export interface StackOptions {
  clock: Clock;
  /** Randomness for ports, ISNs, IP identification (default: the platform's crypto generator). */
  random?: RandomSource;
  /** TCP configuration of every connection (default: the Linux profile). */
  tcp?: TcpConfig;
  /** Ephemeral port range, both ends included (default Linux's 32768..60999). */
  ephemeralPorts?: readonly [number, number];
  /** IPv4 TTL and IPv6 hop limit of what we send (default 64). */
  ttl?: number;
  /** Rate limit of the ICMP errors we send (default 10 back to back, 100 per second); false for none. */
  icmpRateLimit?: IcmpRateLimit | false;
  /** Most half-open (SYN_RECEIVED) connections per listener (default 256). */
  maxSynQueue?: number;
  /**
   * Most TCP connections in any state but CLOSED (default 262,144). At the
   * limit connect() fails with ENOBUFS and SYNs are answered with cookies
   * (when on) or dropped.
   */
  maxConnections?: number;
  /**
   * Most connections in TIME_WAIT (default 65,536). One more is closed at
   * once instead of waiting 2·MSL, as Linux does past tcp_max_tw_buckets.
   */
  maxTimeWait?: number;
  /** Initial sequence numbers (default: RFC 6528 with a keyed hash of the 4-tuple). */
  isn?: (tuple: FourTuple, now: number) => number;
}

export interface TcpConnectOptions {
  remoteAddr: Uint8Array;
  remotePort: number;
  localAddr?: Uint8Array;
  localPort?: number;
  /** Overrides of the stack's TCP configuration for this connection. */
  config?: Partial<TcpConfig>;
}

export interface TcpListenOptions {
  /** Default: IPv6 any (::), taking IPv4 too unless ipv6Only. */
  addr?: Uint8Array;
  /** 0 or omitted: an ephemeral port. */
  port?: number;
  backlog?: number;
  ipv6Only?: boolean;
}

export interface PingOptions {
  data?: Uint8Array;
  /** Give up after this many µs (default 1 s). */
  timeout?: number;
  id?: number;
  seq?: number;
}

export interface PingReply {
  /** Round-trip time in µs (clock time). */
  rtt: number;
  /** The reply's TTL / hop limit. */
  ttl: number;
  /** Payload bytes echoed. */
  bytes: number;
  from: string;
}

interface PendingPing {
  sentAt: number;
  resolve: (r: PingReply) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
}

/** The outgoing path to a destination. */
interface Path {
  /** The interface, or null for the loopback path. */
  iface: NetInterface | null;
  src: Uint8Array;
  mtu: number;
}

const EMPTY = new Uint8Array(0);
/** The stack reads the IPv4 checksum verdict itself (to count a bad one apart from a malformed packet). */
const NO_CHECKSUM_VERIFY = { verifyChecksum: false } as const;

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Stack implements TcpHost, UdpHost {
  readonly clock: Clock;
  readonly stats: StackStats = newStats();
  readonly tcpConfig: TcpConfig;
  /** Hears every event of every connection, owned or not (for tracing and scenarios). */
  onConnEvent: ((ep: TcpEndpoint, ev: ConnEvent) => void) | null = null;
  /** Told about every dropped packet (for tests and tracing). */
  onDrop: ((info: DropInfo) => void) | null = null;
  /** The most recent malformed packets' errors (at most 16), oldest first. */
  readonly recentMalformed: WireError[] = [];

  private readonly random: RandomSource;
  private readonly ttl: number;
  private readonly interfaces: NetInterface[] = [];
  private readonly routes = new RoutingTable<NetInterface>();
  /** Our addresses (addrKey) → interface. */
  private readonly localAddrs = new Map<string, NetInterface>();
  /**
   * Address copies shared by connection tuples: each Uint8Array costs about
   * 200 heap bytes, and connections to or from one address need only one.
   * Never written to; bounded (cleared when full, old tuples keep theirs).
   */
  private readonly addrCache = new Map<string, Uint8Array>();
  /** IPv4 addresses read from packets (see addr4), by value (get32s). */
  private readonly addr4Cache = new Map<number, Uint8Array>();
  /** The last two addresses addr4 found (keys as get32s reads them; NaN: none). */
  private addr4K0 = Number.NaN;
  private addr4V0: Uint8Array = EMPTY;
  private addr4K1 = Number.NaN;
  private addr4V1: Uint8Array = EMPTY;
  /** The last local IPv4 address isLocal4 found (NaN: none; forgotten when addresses change). */
  private lastLocal4 = Number.NaN;
  /** Our IPv4 addresses, by value (get32s): localAddrs' IPv4 half, for the receive path. */
  private readonly local4 = new Set<number>();
  private readonly ports: PortAllocator;
  private readonly isnFn: (tuple: FourTuple, now: number) => number;
  private readonly isnKey: HashKey;
  private readonly hashInput = new HashInput();
  /** SYN cookies (RFC 4987 §3.6); its secrets are drawn from `random` when first needed. */
  private readonly cookies = new SynCookies(() => hashKeyFromBytes(randomBytes(this.random, 8)));
  private ipId: number;

  // TCP
  private readonly conns = new TupleTable<TcpEndpoint>();
  private readonly listeners = new Map<string, TcpListener>();
  private readonly listenersByPort = new Map<number, TcpListener[]>();
  /** Connections per local port (a listen on port 0 picks one nobody uses). */
  private readonly localPortUse = new Map<number, number>();
  private readonly maxSynQueue: number;
  private readonly maxConnections: number;
  private readonly maxTimeWait: number;
  private readonly heap = new TimerHeap<TcpEndpoint>();
  /** Connections waiting out TIME-WAIT, whose deadlines come in order (see deadline-fifo.ts). */
  private readonly waits = new DeadlineFifo<TcpEndpoint>();
  /** Quiet TIME-WAIT connections (see TcpEndpoint.compact). */
  readonly timeWait = new TimeWaitStore();
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private firing = false;
  /** The endpoints a timer firing found due: due[0, dueCount) (kept at its length, see batchedEps). */
  private readonly due: Array<TcpEndpoint | null> = [];
  private dueCount = 0;

  // UDP
  private readonly udpBindings = new Map<string, UdpSocket>();
  private readonly udpByPort = new Map<number, UdpSocket[]>();

  // ICMP
  private readonly rateLimit: IcmpRateLimit | false;
  private icmpTokens: number;
  private icmpTokensAt: number;
  private readonly pings = new Map<string, PendingPing>();
  private pingId: number;

  // Path MTU cache: remote addrKey → learned MTU and when.
  private readonly pmtu = new Map<string, { mtu: number; at: number }>();
  /** Bumped whenever an answer of pathTo may change (interfaces, routes, path MTUs). */
  private pathGen = 0;
  private pathCache: { dst: Uint8Array; path: Path; gen: number; ifaceMtu: number | undefined; until: number } | null = null;

  // Loopback: packets to ourselves go through a queue run on the clock.
  private readonly loopQueue: Uint8Array[] = [];
  private loopTimer: TimerHandle | null = null;
  private closedStack = false;

  constructor(opts: StackOptions) {
    this.clock = opts.clock;
    this.random = opts.random ?? new PlatformRandom();
    this.tcpConfig = { ...(opts.tcp ?? LINUX_PROFILE) };
    this.ttl = opts.ttl ?? 64;
    this.maxSynQueue = opts.maxSynQueue ?? 256;
    this.maxConnections = opts.maxConnections ?? 262_144;
    this.maxTimeWait = opts.maxTimeWait ?? 65_536;
    this.ports = new PortAllocator(this.random, opts.ephemeralPorts ?? DEFAULT_EPHEMERAL_RANGE);
    this.isnKey = hashKeyFromBytes(randomBytes(this.random, 8));
    this.isnFn = opts.isn ?? ((t, now) => this.defaultIsn(t, now));
    this.ipId = this.random.uint32() & 0xffff;
    this.pingId = this.random.uint32() & 0xffff;
    this.rateLimit = opts.icmpRateLimit ?? { burst: 10, perSecond: 100 };
    this.icmpTokens = this.rateLimit === false ? 0 : this.rateLimit.burst;
    this.icmpTokensAt = this.clock.now();
  }

  now(): number {
    return this.clock.now();
  }

  // ------------------------------------------------------------ interfaces

  addInterface(opts: InterfaceOptions): NetInterface {
    const name = opts.name ?? `if${this.interfaces.length}`;
    if (this.interfaces.some((i) => i.name === name)) throw new StackError('EINVAL', 'addInterface', name);
    const list = typeof opts.addresses === 'string' ? [opts.addresses] : opts.addresses;
    const addrs: InterfaceAddress[] = [];
    for (const text of list) {
      const c = parseCidr(text);
      if (c === undefined || isUnspecified(c.addr) || isMulticastOrBroadcast(c.addr)) {
        throw new StackError('EINVAL', 'addInterface', text);
      }
      if (this.localAddrs.has(addrKey(c.addr))) throw new StackError('EADDRINUSE', 'addInterface', text);
      addrs.push({ addr: c.addr, prefixLength: c.prefixLength });
    }
    const mtu = opts.mtu ?? opts.device.mtu;
    const iface = new NetInterface(name, opts.device, mtu, addrs);
    this.interfaces.push(iface);
    this.pathGen++;
    for (const a of addrs) {
      this.localAddrs.set(addrKey(a.addr), iface);
      if (a.addr.length === 4) this.local4.add(get32s(a.addr, 0));
      // The connected route of each address.
      this.routes.add(a.addr, a.prefixLength, iface);
    }
    if (opts.defaultRoute) {
      if (addrs.some((a) => a.addr.length === 4)) this.routes.add(IPV4_ANY, 0, iface);
      if (addrs.some((a) => a.addr.length === 16)) this.routes.add(IPV6_ANY, 0, iface);
    }
    opts.device.onReceive = (packet, checksumValid, exclusive) => this.receive(iface, packet, checksumValid === true, exclusive === true);
    // A TCP super-segment (from a device with segmentation offload) is taken
    // whole, as Linux's TCP takes what GRO merged: the receive path reads
    // any length, and acknowledges by bytes (every two full-sized
    // segments' worth at once).
    opts.device.takesSuperSegments = true;
    if (opts.device.receiveBatches === true) opts.device.onReceiveBatchEnd = this.endReceiveBatch;
    return iface;
  }

  /** Detach an interface: its device is closed, its addresses and routes go. */
  removeInterface(name: string): boolean {
    const i = this.interfaces.findIndex((x) => x.name === name);
    if (i < 0) return false;
    const iface = this.interfaces[i]!;
    this.interfaces.splice(i, 1);
    this.pathGen++;
    for (const a of iface.addresses) {
      this.localAddrs.delete(addrKey(a.addr));
      if (a.addr.length === 4) this.local4.delete(get32s(a.addr, 0));
    }
    this.lastLocal4 = Number.NaN;
    this.routes.removeWhere((r) => r.iface === iface);
    iface.device.onReceive = null;
    iface.device.takesSuperSegments = false;
    if (iface.device.onReceiveBatchEnd !== undefined) iface.device.onReceiveBatchEnd = null;
    this.endReceiveBatch();
    iface.device.close();
    return true;
  }

  getInterfaces(): readonly NetInterface[] {
    return this.interfaces;
  }

  /**
   * Route `cidr` ('0.0.0.0/0', '::/0', '10.1.0.0/16'...) through the
   * interface named `ifname`.
   */
  addRoute(cidr: string, ifname: string, metric = 0): void {
    const c = parseCidr(cidr);
    if (c === undefined) throw new StackError('EINVAL', 'addRoute', cidr);
    const iface = this.interfaces.find((x) => x.name === ifname);
    if (iface === undefined) throw new StackError('EINVAL', 'addRoute', ifname);
    this.routes.add(c.addr, c.prefixLength, iface, metric);
    this.pathGen++;
  }

  /** Make `ifname` the default route of both families. */
  setDefaultRoute(ifname: string): void {
    this.addRoute('0.0.0.0/0', ifname, 1000);
    this.addRoute('::/0', ifname, 1000);
  }

  getRoutes(): ReadonlyArray<{ prefix: string; prefixLength: number; iface: string; metric: number }> {
    return this.routes.list().map((r) => ({ prefix: formatAddress(r.prefix), prefixLength: r.prefixLength, iface: r.iface.name, metric: r.metric }));
  }

  /**
   * The IPv4 address at p[off, off + 4) as a shared copy (never written),
   * one per address: reading a packet's addresses allocates nothing.
   * Bounded (cleared when full; holders keep theirs).
   */
  private addr4(p: Uint8Array, off: number): Uint8Array {
    const k = get32s(p, off);
    // A flow's packets name the same two addresses over and over: the last
    // two found are tried before the map (two hash lookups per packet less).
    if (k === this.addr4K0) return this.addr4V0;
    if (k === this.addr4K1) return this.addr4V1;
    let v = this.addr4Cache.get(k);
    if (v === undefined) {
      if (this.addr4Cache.size >= 4096) this.addr4Cache.clear();
      v = p.slice(off, off + 4);
      this.addr4Cache.set(k, v);
    }
    this.addr4K1 = this.addr4K0;
    this.addr4V1 = this.addr4V0;
    this.addr4K0 = k;
    this.addr4V0 = v;
    return v;
  }

  /** Whether the IPv4 address at p[off] is one of ours (the last one found is tried first). */
  private isLocal4(p: Uint8Array, off: number): boolean {
    const k = get32s(p, off);
    if (k === this.lastLocal4) return true;
    if (!this.local4.has(k)) return false;
    this.lastLocal4 = k;
    return true;
  }

  /** A copy of `a` that connection tuples share (see addrCache and addr4). */
  private internAddr(a: Uint8Array): Uint8Array {
    if (a.length === 4) return this.addr4(a, 0);
    const k = addrKey(a);
    let v = this.addrCache.get(k);
    if (v === undefined) {
      if (this.addrCache.size >= 4096) this.addrCache.clear();
      v = Uint8Array.from(a);
      this.addrCache.set(k, v);
    }
    return v;
  }

  isLocalAddress(addr: Uint8Array): boolean {
    return isLoopback(addr) || this.localAddrs.has(addrKey(addr));
  }

  /**
   * Where a packet to `dst` goes out, and from which source address. The
   * last answer is kept (a bulk sender asks once per segment) until an
   * interface, route or learned path MTU changes, or the learned MTU ages.
   */
  private pathTo(dst: Uint8Array): Path | undefined {
    const c = this.pathCache;
    if (c !== null && c.gen === this.pathGen && c.ifaceMtu === c.path.iface?.mtu && this.clock.now() <= c.until && sameBytes(c.dst, dst)) return c.path;
    const path = this.lookupPath(dst);
    if (path !== undefined) {
      const learned = path.iface === null ? undefined : this.pmtu.get(addrKey(dst));
      this.pathCache = {
        dst: Uint8Array.from(dst),
        path,
        gen: this.pathGen,
        // NetInterface.mtu may be set directly.
        ifaceMtu: path.iface?.mtu,
        until: learned === undefined ? Infinity : learned.at + PMTU_AGE,
      };
    }
    return path;
  }

  private lookupPath(dst: Uint8Array): Path | undefined {
    if (isLoopback(dst)) return { iface: null, src: dst.length === 4 ? Uint8Array.of(127, 0, 0, 1) : dst, mtu: LOOPBACK_MTU };
    if (this.localAddrs.has(addrKey(dst))) return { iface: null, src: dst, mtu: LOOPBACK_MTU };
    const r = this.routes.lookup(dst);
    if (r === undefined) return undefined;
    const src = r.iface.sourceFor(dst);
    if (src === undefined) return undefined;
    let mtu = r.iface.mtu;
    const learned = this.pmtu.get(addrKey(dst));
    if (learned !== undefined) {
      if (this.clock.now() - learned.at > PMTU_AGE) {
        this.pmtu.delete(addrKey(dst));
        this.pathGen++;
      }
      else mtu = Math.min(mtu, learned.mtu);
    }
    return { iface: r.iface, src, mtu };
  }

  /** The path MTU the stack currently assumes towards `dst` (undefined: no route). */
  pathMtu(dst: Uint8Array): number | undefined {
    return this.pathTo(dst)?.mtu;
  }

  // --------------------------------------------------------------- receive

  /**
   * One IP packet from an interface (null: loopback). `checksumValid`: the
   * device vouches for the TCP/UDP checksum (checksum offload), which may
   * hold only the pseudo-header sum and is not verified. `exclusive`: the
   * device vouches that nobody else holds a view of the packet
   * (NetDevice.onReceive), so it may be recycled once the stack is done.
   */
  private receive(iface: NetInterface | null, packet: Uint8Array, checksumValid = false, exclusive = false): void {
    if (this.closedStack) return;
    this.stats.ipIn++;
    if (iface !== null && iface.device.receiveBatches === true) this.batchOpen = true;
    if (packet.length === 0) return this.malformed({ layer: 'ipv4', reason: 'empty packet' }, packet);
    const version = packet[0]! >>> 4;
    if (version === 4) this.inputIpv4(packet, checksumValid, exclusive);
    else if (version === 6) this.inputIpv6(packet, checksumValid, exclusive);
    else this.malformed({ layer: 'ipv4', reason: `bad version ${version}` }, packet);
    void iface;
  }

  private drop(reason: DropReason, packet?: Uint8Array, error?: WireError): void {
    this.stats.drops[reason]++;
    if (this.onDrop !== null) {
      const info: DropInfo = { reason };
      if (error !== undefined) info.error = error;
      if (packet !== undefined) info.packet = packet;
      this.onDrop(info);
    }
  }

  private malformed(error: WireError, packet: Uint8Array): void {
    this.stats.malformed[error.layer]++;
    this.recentMalformed.push(error);
    if (this.recentMalformed.length > 16) this.recentMalformed.shift();
    this.drop('malformed', packet, error);
  }

  private badChecksum(error: WireError, packet: Uint8Array): void {
    this.drop('badChecksum', packet, error);
  }

  private inputIpv4(packet: Uint8Array, checksumValid: boolean, exclusive: boolean): void {
    // The common case read in place, without a parsed header: a whole TCP
    // packet without options for one of our addresses, from a unicast
    // source, its header checksum right. Anything else goes the long way.
    if (packet.length >= 20 && packet[0] === 0x45 && packet[9] === IPPROTO_TCP && (get16(packet, 6) & 0x3fff) === 0) {
      const total = get16(packet, 2);
      if (total >= 20 && total <= packet.length && sum20(packet, 0) === 0xffff) {
        const dst = this.addr4(packet, 16);
        const src = this.addr4(packet, 12);
        if ((dst[0] === 127 || this.isLocal4(packet, 16)) && !isMulticastOrBroadcast(src) && !isUnspecified(src)) {
          return this.inputTcp(src, dst, packet, 20, total, packet, checksumValid, packet[1]! & 3, exclusive);
        }
      }
    }
    const r = parseIpv4(packet, NO_CHECKSUM_VERIFY);
    if (!r.ok) return this.malformed(r.error, packet);
    const ip = r.value;
    if (!ip.checksumOk) {
      const strict = parseIpv4(packet);
      return this.badChecksum(strict.ok ? { layer: 'ipv4', reason: 'bad checksum' } : strict.error, packet);
    }
    if (!this.isLocalAddress(ip.dst)) {
      // Not ours (a point-to-point host does not forward); broadcast and
      // multicast are not received either: nothing here joins a group.
      return this.drop('notForUs', packet);
    }
    if (isMulticastOrBroadcast(ip.src) || isUnspecified(ip.src)) return this.drop('badSource', packet);
    if (ip.isFragment) return this.drop('fragment', packet);
    // The shared copies, as on the fast path: nothing below keeps a view
    // of the packet (the demux cache holds the addresses it last saw).
    const src = this.addr4(packet, 12);
    const dst = this.addr4(packet, 16);
    switch (ip.protocol) {
      case IPPROTO_TCP:
        return this.inputTcp(src, dst, ip.payload, 0, ip.payload.length, packet, checksumValid, ip.ecn, exclusive);
      case IPPROTO_UDP:
        return this.inputUdp(src, dst, ip.payload, packet, checksumValid);
      case IPPROTO_ICMP:
        return this.inputIcmp(src, dst, ip.payload, ip.ttl, packet);
      default:
        this.drop('unknownProtocol', packet);
        // RFC 1122 §3.2.2.1: protocol unreachable.
        this.sendIcmpError4({ kind: 'destUnreachable', code: ICMP_UNREACH_PROTOCOL, nextHopMtu: 0, original: EMPTY }, src, dst, packet);
    }
  }

  private inputIpv6(packet: Uint8Array, checksumValid: boolean, exclusive: boolean): void {
    const r = parseIpv6(packet);
    if (!r.ok) return this.malformed(r.error, packet);
    const ip = r.value;
    if (!this.isLocalAddress(ip.dst)) return this.drop('notForUs', packet);
    if (isMulticastOrBroadcast(ip.src) || isUnspecified(ip.src)) return this.drop('badSource', packet);
    if (ip.isFragment) return this.drop('fragment', packet);
    switch (ip.upperProtocol) {
      case IPPROTO_TCP:
        return this.inputTcp(ip.src, ip.finalDestination, ip.payload, 0, ip.payload.length, packet, checksumValid, ip.ecn, exclusive);
      case IPPROTO_UDP:
        return this.inputUdp(ip.src, ip.finalDestination, ip.payload, packet, checksumValid);
      case IPPROTO_ICMPV6:
        return this.inputIcmpv6(ip.src, ip.dst, ip.payload, ip.hopLimit, packet);
      case IPV6_NO_NEXT_HEADER:
        return;
      default: {
        this.drop('unknownProtocol', packet);
        // RFC 8200 §4: Parameter Problem code 1 (unrecognized Next Header),
        // pointing at the field that named it.
        const ext = ip.extHeaders;
        const pointer = ext.length === 0 ? 6 : ext[ext.length - 1]!.offset;
        this.sendIcmpError6({ kind: 'parameterProblem', code: 1, pointer, original: EMPTY }, ip.src, ip.dst, packet);
      }
    }
  }

  // ------------------------------------------------------------------ TCP

  /**
   * The TCP segment buf[start, end) of IP packet `packet` arrived from
   * `src` for `dst`. `exclusive`: nobody else holds a view of `packet`.
   */
  private inputTcp(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, start: number, end: number, packet: Uint8Array, checksumValid: boolean, ecn: number, exclusive: boolean): void {
    if (!checksumValid && !verifyTcpChecksum(buf, src, dst, start, end)) {
      const strict = parseTcp(buf.subarray(start, end), { src, dst });
      return this.badChecksum(strict.ok ? { layer: 'tcp', reason: 'bad checksum' } : strict.error, packet);
    }
    if (this.runEp !== null && ecn === this.runEcn && this.batchOpen && this.sameRunAddresses(src, dst)) {
      // A packet small enough to be a slab's, which nobody else holds, is
      // recycled once the connection has copied its payload (not owned: it
      // keeps no view of it).
      const recycle = exclusive && packet.length <= packetSlab.limit;
      if (this.continueRun(buf, start, end, !recycle)) {
        if (recycle && packetSlab.recycle(packet)) this.stats.tcpInRecycled++;
        return;
      }
    }
    this.runEp = null;
    this.runCandidate = null;
    // The stack's one header view, unless a device delivered this packet
    // while another was being read (it is not kept past this call).
    const seg = this.rxBusy ? emptyTcpHeaderView() : this.rxView;
    const error = parseTcpInto(buf, seg, seg === this.rxView ? this.rxTs : undefined, start, end);
    if (error !== undefined) return this.malformed(error, packet);
    seg.ecn = ecn;
    // A packet a device delivered is the stack's: nobody else holds it (a
    // tap or a trace keeps a copy), so the connection may keep its payload.
    seg.payloadOwned = true;
    if (seg === this.rxView) {
      this.rxBusy = true;
      try {
        this.demuxTcp(src, dst, seg, packet);
      } finally {
        this.rxBusy = false;
      }
    } else {
      this.demuxTcp(src, dst, seg, packet);
    }
    const ep = this.runCandidate;
    if (ep !== null) this.startRun(ep, src, dst, ecn, buf, start, seg);
  }

  // Receive offload: within a receive batch, the segments that follow one
  // a connection took by header prediction, with the same header but for
  // the sequence number (the next one) and PSH, go to the connection
  // without being parsed or looked up again (TcpConnection.
  // continuePredicted), as GRO hands a kernel's TCP one segment for a
  // burst. The connection still takes each as if it came alone, so nothing
  // it sends or says changes.

  /** The connection of the run, its addresses, ECN codepoint, header and the sequence number expected next. */
  private runEp: TcpEndpoint | null = null;
  private runCandidate: TcpEndpoint | null = null;
  /** The run's addresses: IPv4 ones interned (compared by identity), IPv6 ones copied here. */
  private runSrc: Uint8Array = EMPTY;
  private runDst: Uint8Array = EMPTY;
  private readonly runSrc6 = new Uint8Array(16);
  private readonly runDst6 = new Uint8Array(16);
  private runEcn = 0;
  private readonly runHeader = new Uint8Array(60);
  private runHeaderLength = 0;
  private runNext = 0;
  private runAck = 0;
  private runWindow = 0;
  private runHasTs = false;
  private readonly runTs = { val: 0, ecr: 0 };

  /** The segment `seg` in buf at `start` was taken by header prediction: later ones like it may continue the run. */
  private startRun(ep: TcpEndpoint, src: Uint8Array, dst: Uint8Array, ecn: number, buf: Uint8Array, start: number, seg: TcpHeaderView): void {
    const hl = seg.headerLength;
    for (let i = 0; i < hl; i++) this.runHeader[i] = buf[start + i]!;
    this.runHeaderLength = hl;
    this.runEp = ep;
    if (src.length === 16) {
      // IPv6 addresses are views of the packet: the run keeps copies.
      this.runSrc6.set(src);
      this.runDst6.set(dst);
      this.runSrc = this.runSrc6;
      this.runDst = this.runDst6;
    } else {
      this.runSrc = src;
      this.runDst = dst;
    }
    this.runEcn = ecn;
    this.runNext = (seg.seq + seg.payload.length) >>> 0;
    this.runAck = seg.ack;
    this.runWindow = seg.window;
    const ts = findTimestamp(seg.options);
    this.runHasTs = ts !== undefined;
    if (ts !== undefined) {
      this.runTs.val = ts.val;
      this.runTs.ecr = ts.ecr;
    }
  }

  /** Whether a segment from `src` to `dst` is of the run's flow (IPv4: the same interned arrays; IPv6: the same bytes). */
  private sameRunAddresses(src: Uint8Array, dst: Uint8Array): boolean {
    if (src === this.runSrc && dst === this.runDst) return true;
    if (src.length !== 16 || this.runSrc.length !== 16) return false;
    const a = this.runSrc;
    const b = this.runDst;
    for (let i = 0; i < 16; i++) if (src[i] !== a[i] || dst[i] !== b[i]) return false;
    return true;
  }

  /** Whether buf[start, end) continued the run (and was taken). `owned`: the connection may keep the payload. */
  private continueRun(buf: Uint8Array, start: number, end: number, owned: boolean): boolean {
    const hl = this.runHeaderLength;
    if (((buf[start + 12]! >>> 4) << 2) !== hl || end - start <= hl) return false;
    const seq = get32(buf, start + 4);
    if (seq !== this.runNext) return false;
    // The same header but for the sequence number (bytes 4-7), PSH and the checksum (16-17).
    const h = this.runHeader;
    for (let i = 0; i < 4; i++) if (buf[start + i] !== h[i]) return false;
    for (let i = 8; i < 13; i++) if (buf[start + i] !== h[i]) return false;
    if ((buf[start + 13]! | PSH) !== (h[13]! | PSH) || buf[start + 14] !== h[14] || buf[start + 15] !== h[15]) return false;
    for (let i = 18; i < hl; i++) if (buf[start + i] !== h[i]) return false;
    const ep = this.runEp!;
    if (ep.closed) return false;
    const payload = u8sub(buf, start + hl, end);
    if (!ep.conn.continuePredicted(seq, this.runAck, this.runWindow, payload, this.runHasTs ? this.runTs : undefined, this.clock.now(), owned)) return false;
    this.stats.tcpIn++;
    this.stats.tcpInCoalesced++;
    this.runNext = (seq + payload.length) >>> 0;
    return true;
  }

  /** The received segment `seg` to its connection, or its listener, or an answer from CLOSED. */
  private demuxTcp(src: Uint8Array, dst: Uint8Array, seg: TcpHeaderView, packet: Uint8Array): void {
    this.stats.tcpIn++;
    if ((seg.flags & RST) !== 0) this.stats.tcpResetsIn++;
    // A flow's packets come in runs: the last connection found is tried
    // first, by the identity of the packet's (interned) addresses.
    const ports = (seg.srcPort << 16) | seg.dstPort;
    let ep: TcpEndpoint | undefined;
    const last = this.lastEp;
    if (last !== null && !last.closed && src === this.lastSrc && dst === this.lastDst && ports === this.lastPorts) {
      ep = last;
    } else {
      ep = this.conns.get(dst, seg.dstPort, src, seg.srcPort);
      if (ep !== undefined) {
        this.lastEp = ep;
        this.lastSrc = src;
        this.lastDst = dst;
        this.lastPorts = ports;
      }
    }
    if (ep !== undefined) {
      const l = ep.listener;
      if (
        l !== null &&
        l.synQueue.has(ep) &&
        l.acceptQueueFull &&
        (seg.flags & (ACK | SYN | RST)) === ACK &&
        ep.state === 'SYN_RECEIVED'
      ) {
        // The handshake would complete into a full accept queue: drop the
        // ACK, as Linux does, so the SYN-ACK is retransmitted and the peer
        // gets in once the application accepts.
        return this.drop('acceptQueueFull', packet);
      }
      const conn = ep.conn;
      const predicted = conn.stats.predictedIn;
      conn.onSegment(seg, this.clock.now(), this.batchOpen);
      // Taken by header prediction in a batch: segments like it may follow (see continueRun).
      if (this.batchOpen && conn.stats.predictedIn !== predicted && !ep.closed) this.runCandidate = ep;
      if (!this.batchOpen) this.serviceTcp(ep);
      else if (!ep.batched) {
        // Answer once the batch has been read (see endReceiveBatch).
        ep.batched = true;
        this.batchedEps[this.batchedCount++] = ep;
      }
      return;
    }
    if (isMulticastOrBroadcast(dst)) return this.drop('notForUs', packet);
    const found = this.findListener(dst, seg.dstPort);
    if (found !== undefined) {
      const l = found.listener;
      if ((seg.flags & (SYN | ACK | RST)) === SYN) return this.passiveOpen(l, found.mapped, src, dst, seg, packet);
      if ((seg.flags & (SYN | ACK | RST)) === ACK && this.cookieExpected(l) && this.cookieOpen(l, found.mapped, src, dst, seg, packet)) return;
      // RFC 9293 §3.10.7.2 (LISTEN): ignore a RST; answer an ACK with
      // <SEQ=SEG.ACK><CTL=RST>; anything else without SYN is dropped.
      if ((seg.flags & RST) !== 0 || (seg.flags & ACK) === 0) return this.drop('noListener', packet);
      const rst = resetFor(seg);
      if (rst !== undefined) this.sendSegment(rst, dst, src);
      return this.drop('noListener', packet);
    }
    // RFC 9293 §3.10.7.1 (CLOSED): a RST for anything but a RST.
    this.drop('noListener', packet);
    const rst = resetFor(seg);
    if (rst !== undefined) this.sendSegment(rst, dst, src);
  }

  private findListener(dst: Uint8Array, port: number): { listener: TcpListener; mapped: boolean } | undefined {
    const list = this.listenersByPort.get(port);
    if (list === undefined) return undefined;
    // The listener on this very address first, then the wildcard of its
    // family, then a dual-stack IPv6 wildcard for IPv4 (RFC 3493 §3.7).
    let wildcard: TcpListener | undefined;
    let dualStack: TcpListener | undefined;
    for (let i = 0; i < list.length; i++) {
      const l = list[i]!;
      if (sameBytes(l.addr, dst)) return { listener: l, mapped: false };
      if (!isUnspecified(l.addr)) continue;
      if (l.addr.length === dst.length) wildcard = l;
      else if (dst.length === 4 && !l.ipv6Only) dualStack = l;
    }
    if (wildcard !== undefined) return { listener: wildcard, mapped: false };
    if (dualStack !== undefined) return { listener: dualStack, mapped: true };
    return undefined;
  }

  private passiveOpen(l: TcpListener, mapped: boolean, src: Uint8Array, dst: Uint8Array, syn: Segment, packet: Uint8Array): void {
    if (l.acceptQueueFull) return this.drop('listenOverflow', packet);
    const mode = this.tcpConfig.synCookies;
    const full = this.conns.size >= this.maxConnections;
    if (mode === 'always' || ((full || l.synQueue.size >= l.maxSynQueue) && mode === 'on-overflow')) return this.sendCookie(l, src, dst, syn, packet);
    if (full) return this.drop('connectionLimit', packet);
    if (l.synQueue.size >= l.maxSynQueue) return this.drop('listenOverflow', packet);
    const path = this.pathTo(src);
    if (path === undefined) return this.drop('noRoute', packet);
    const now = this.clock.now();
    const tuple: FourTuple = { localAddr: this.internAddr(dst), localPort: syn.dstPort, remoteAddr: this.internAddr(src), remotePort: syn.srcPort };
    const conn = TcpConnection.openPassive({
      config: this.configFor(l),
      tuple,
      iss: this.isnFn(tuple, now),
      now,
      mss: mssFor(path.mtu, src),
      syn,
    });
    const ep = new TcpEndpoint(this, conn, mapped);
    ep.listener = l;
    l.synQueue.add(ep);
    this.addConn(ep);
    this.stats.tcpPassiveOpens++;
    this.serviceTcp(ep);
  }

  // ------------------------------------------- listener configuration hook

  /** Per-listener overrides of the TCP configuration (see setListenerConfig). */
  private readonly listenerConfig = new WeakMap<TcpListener, Partial<TcpConfig>>();

  /**
   * Overrides of the stack's TCP configuration for the connections `l`
   * accepts from now on, as a listening socket's options are inherited by
   * its children (used by hosts that emulate socket options, such as the
   * packetdrill runner). `undefined` removes them.
   */
  setListenerConfig(l: TcpListener, overrides: Partial<TcpConfig> | undefined): void {
    if (overrides === undefined || Object.keys(overrides).length === 0) this.listenerConfig.delete(l);
    else this.listenerConfig.set(l, { ...overrides });
  }

  private configFor(l: TcpListener): TcpConfig {
    const extra = this.listenerConfig.get(l);
    return extra === undefined ? this.tcpConfig : { ...this.tcpConfig, ...extra };
  }

  // ---------------------------------------------------------- SYN cookies

  /**
   * Answer a SYN with a cookie SYN-ACK and keep nothing (RFC 4987 §3.6).
   * Still counted as a listen overflow in 'on-overflow' mode: the SYN did
   * not fit in the queue.
   */
  private sendCookie(l: TcpListener, src: Uint8Array, dst: Uint8Array, syn: Segment, packet: Uint8Array): void {
    const path = this.pathTo(src);
    if (path === undefined) return this.drop('noRoute', packet);
    if (this.tcpConfig.synCookies === 'on-overflow') this.drop('listenOverflow', packet);
    const now = this.clock.now();
    const tuple: FourTuple = { localAddr: dst, localPort: syn.dstPort, remoteAddr: src, remotePort: syn.srcPort };
    l.cookieSentAt = now;
    this.stats.synCookiesSent++;
    this.sendSegment(this.cookies.synAck(tuple, syn, this.tcpConfig, mssFor(path.mtu, src), now), dst, src);
  }

  /**
   * Whether an ACK at a listener may be a returning cookie: always in
   * 'always' mode, and in 'on-overflow' mode while cookies this listener
   * sent can still be valid (two counter periods), so that stray ACKs at a
   * quiet listener are not tried against the MAC.
   */
  private cookieExpected(l: TcpListener): boolean {
    const mode = this.tcpConfig.synCookies;
    if (mode === 'always') return true;
    return mode === 'on-overflow' && this.clock.now() - l.cookieSentAt < 2 * COOKIE_PERIOD;
  }

  /**
   * An ACK for a listener: if SEG.ACK − 1 is a valid cookie, the
   * connection is made (ESTABLISHED at once) and true returned; false lets
   * the caller answer as LISTEN does (RST).
   */
  private cookieOpen(l: TcpListener, mapped: boolean, src: Uint8Array, dst: Uint8Array, seg: Segment, packet: Uint8Array): boolean {
    const now = this.clock.now();
    const tuple: FourTuple = { localAddr: this.internAddr(dst), localPort: seg.dstPort, remoteAddr: this.internAddr(src), remotePort: seg.srcPort };
    const r = this.cookies.check(tuple, seg, now, this.tcpConfig);
    if (!r.ok) {
      this.stats.synCookiesFailed++;
      return false;
    }
    this.stats.synCookiesValidated++;
    if (l.acceptQueueFull) {
      // As for a queued handshake: the peer retries and gets in once the application accepts.
      this.drop('acceptQueueFull', packet);
      return true;
    }
    if (this.conns.size >= this.maxConnections) {
      // No room: the peer's retransmission may find some.
      this.drop('connectionLimit', packet);
      return true;
    }
    const path = this.pathTo(src);
    if (path === undefined) {
      this.drop('noRoute', packet);
      return true;
    }
    const conn = TcpConnection.openFromCookie({
      config: this.configFor(l),
      tuple,
      iss: (seg.ack - 1) >>> 0,
      now,
      mss: mssFor(path.mtu, src),
      ack: seg,
      restored: r.value,
      synAckWindow: cookieSynAckWindow(this.tcpConfig),
    });
    const ep = new TcpEndpoint(this, conn, mapped);
    // Through the SYN queue for one service round, so the 'established'
    // event moves it to the accept queue as for any other handshake.
    ep.listener = l;
    l.synQueue.add(ep);
    this.addConn(ep);
    this.stats.tcpPassiveOpens++;
    this.serviceTcp(ep);
    return true;
  }

  /**
   * Open a connection (RFC 9293 §3.10.1 active OPEN). The endpoint is in
   * SYN_SENT with its SYN on the way; set its `handler` to hear the
   * outcome. Throws StackError: ENETUNREACH (no route), EADDRNOTAVAIL
   * (local address not ours, or no ephemeral port left), EADDRINUSE (the
   * local port is taken), EINVAL (bad arguments, mixed families).
   */
  tcpConnect(opts: TcpConnectOptions): TcpEndpoint {
    this.checkOpen('connect');
    let remote = opts.remoteAddr;
    if (isV4Mapped(remote)) remote = unmapV4(remote);
    const port = opts.remotePort;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StackError('EINVAL', 'connect', formatAddress(remote), port);
    if (remote.length !== 4 && remote.length !== 16) throw new StackError('EINVAL', 'connect');
    if (isUnspecified(remote) || isMulticastOrBroadcast(remote)) throw new StackError('EINVAL', 'connect', formatAddress(remote), port);
    const path = this.pathTo(remote);
    if (path === undefined) throw new StackError('ENETUNREACH', 'connect', formatAddress(remote), port);
    if (this.conns.size >= this.maxConnections) throw new StackError('ENOBUFS', 'connect', formatAddress(remote), port);
    let local = path.src;
    if (opts.localAddr !== undefined && !isUnspecified(opts.localAddr)) {
      let la = opts.localAddr;
      if (isV4Mapped(la)) la = unmapV4(la);
      if (la.length !== remote.length) throw new StackError('EINVAL', 'bind', formatAddress(la));
      if (!this.isLocalAddress(la)) throw new StackError('EADDRNOTAVAIL', 'bind', formatAddress(la));
      local = la;
    }
    let localPort = opts.localPort ?? 0;
    if (!Number.isInteger(localPort) || localPort < 0 || localPort > 65535) throw new StackError('EINVAL', 'bind');
    if (localPort !== 0) {
      if (this.listenerConflict(local, localPort, false) || this.conns.get(local, localPort, remote, port) !== undefined) {
        throw new StackError('EADDRINUSE', 'bind', formatAddress(local), localPort);
      }
    } else {
      const chosen = this.ports.select(
        local,
        remote,
        port,
        (p) => !this.listenerConflict(local, p, false) && this.conns.get(local, p, remote, port) === undefined,
      );
      if (chosen === undefined) throw new StackError('EADDRNOTAVAIL', 'connect', formatAddress(remote), port);
      localPort = chosen;
    }
    const now = this.clock.now();
    const tuple: FourTuple = { localAddr: this.internAddr(local), localPort, remoteAddr: this.internAddr(remote), remotePort: port };
    const config = opts.config === undefined ? this.tcpConfig : { ...this.tcpConfig, ...opts.config };
    const conn = TcpConnection.openActive({ config, tuple, iss: this.isnFn(tuple, now), now, mss: mssFor(path.mtu, remote) });
    const ep = new TcpEndpoint(this, conn, false);
    this.addConn(ep);
    this.stats.tcpActiveOpens++;
    this.serviceTcp(ep);
    return ep;
  }

  /**
   * Listen (RFC 9293 §3.10.1 passive OPEN). Throws StackError EADDRINUSE
   * (another listener overlaps), EADDRNOTAVAIL (not our address), EINVAL.
   */
  tcpListen(opts: TcpListenOptions = {}): TcpListener {
    this.checkOpen('listen');
    let addr = opts.addr ?? IPV6_ANY;
    if (isV4Mapped(addr)) addr = unmapV4(addr);
    const ipv6Only = opts.ipv6Only ?? false;
    let port = opts.port ?? 0;
    const addrText = formatAddress(addr);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StackError('EINVAL', 'listen', addrText, port);
    if (addr.length !== 4 && addr.length !== 16) throw new StackError('EINVAL', 'listen');
    if (!isUnspecified(addr) && !this.isLocalAddress(addr)) throw new StackError('EADDRNOTAVAIL', 'listen', addrText, port);
    const backlog = Math.max(1, Math.min(opts.backlog ?? DEFAULT_BACKLOG, 65535));
    if (port === 0) {
      const chosen = this.ports.select(addr, EMPTY, 0, (p) => !this.listenersByPort.has(p) && !this.tcpPortInUse(p));
      if (chosen === undefined) throw new StackError('EADDRINUSE', 'listen', addrText, 0);
      port = chosen;
    } else if (this.listenerConflict(addr, port, ipv6Only)) {
      throw new StackError('EADDRINUSE', 'listen', addrText, port);
    }
    const key = endpointKey(addr, port);
    const l = new TcpListener(this, Uint8Array.from(addr), port, backlog, Math.max(this.maxSynQueue, backlog), ipv6Only, key);
    this.listeners.set(key, l);
    let list = this.listenersByPort.get(port);
    if (list === undefined) this.listenersByPort.set(port, (list = []));
    list.push(l);
    return l;
  }

  unlisten(l: TcpListener): void {
    if (this.listeners.get(l.key) === l) this.listeners.delete(l.key);
    const list = this.listenersByPort.get(l.port);
    if (list === undefined) return;
    const i = list.indexOf(l);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.listenersByPort.delete(l.port);
  }

  /**
   * Whether binding `addr`:`port` would overlap a listener: the same
   * address, or a wildcard of the same family on either side, or an IPv4
   * address against a dual-stack IPv6 wildcard.
   */
  private listenerConflict(addr: Uint8Array, port: number, ipv6Only: boolean): boolean {
    const list = this.listenersByPort.get(port);
    if (list === undefined) return false;
    for (const l of list) if (overlaps(l.addr, l.ipv6Only, addr, ipv6Only)) return true;
    return false;
  }

  private tcpPortInUse(port: number): boolean {
    return this.localPortUse.has(port);
  }

  private addConn(ep: TcpEndpoint): void {
    this.conns.set(ep);
    const p = ep.tuple.localPort;
    this.localPortUse.set(p, (this.localPortUse.get(p) ?? 0) + 1);
  }

  private removeConn(ep: TcpEndpoint): void {
    if (!this.conns.delete(ep)) return;
    const p = ep.tuple.localPort;
    const n = (this.localPortUse.get(p) ?? 1) - 1;
    if (n <= 0) this.localPortUse.delete(p);
    else this.localPortUse.set(p, n);
  }

  /** Open connections (every state but CLOSED), listeners' included. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Connections as [key, endpoint] (for inspection). */
  connections(): IterableIterator<TcpEndpoint> {
    return this.conns.values();
  }

  /** The connection the last segment went to, and its packet's addresses and ports (see demuxTcp). */
  private lastEp: TcpEndpoint | null = null;
  private lastSrc: Uint8Array = EMPTY;
  private lastDst: Uint8Array = EMPTY;
  private lastPorts = 0;

  /** The header view received segments are parsed into, and whether one is being handled in it. */
  private readonly rxView = emptyTcpHeaderView();
  private readonly rxTs: TimestampOption = { kind: 'timestamp', val: 0, ecr: 0 };
  private rxBusy = false;

  /** Whether a device's receive batch is being read (NetDevice.receiveBatches). */
  private batchOpen = false;
  /**
   * Connections that took segments in the open batch, in order of their
   * first: batchedEps[0, batchedCount). The array keeps its length between
   * batches (`length = 0` would drop its backing store, to be allocated
   * again for the next batch).
   */
  private readonly batchedEps: Array<TcpEndpoint | null> = [];
  private batchedCount = 0;

  /**
   * The end of a device's receive batch: each connection that took
   * segments in it now sends what it has to say (one ACK for the burst,
   * new data for the ACKs it read) and hears its events. Receive offload
   * does the same in a kernel: GRO merges a burst, and the merged segment
   * is acknowledged once.
   */
  private readonly endReceiveBatch = (): void => {
    this.batchOpen = false;
    this.runEp = null;
    const eps = this.batchedEps;
    if (this.batchedCount === 0) return;
    for (let i = 0; i < this.batchedCount; i++) {
      const ep = eps[i];
      eps[i] = null;
      if (ep === null || ep === undefined) continue;
      ep.batched = false;
      if (ep.closed) continue;
      // serviceTcp hands over the events first, then releases what the
      // batch held, with whatever the application answered.
      this.serviceTcp(ep);
    }
    this.batchedCount = 0;
  };

  /** Drain what a connection wants to send and say, then re-arm its timer. Re-entrant. */
  serviceTcp(ep: TcpEndpoint): void {
    if (ep.servicing) {
      ep.again = true;
      return;
    }
    ep.servicing = true;
    const conn = ep.conn;
    try {
      do {
        ep.again = false;
        for (let seg = conn.pollTransmit(); seg !== undefined; seg = conn.pollTransmit()) {
          this.sendSegment(seg, conn.tuple.localAddr, conn.tuple.remoteAddr);
          recycleSegment(seg);
        }
        // What the application does in its handlers goes out afterwards,
        // together with anything a receive batch held (TcpConnection.hold).
        conn.hold();
        try {
          for (let ev = conn.pollEvent(); ev !== undefined; ev = conn.pollEvent()) this.connEvent(ep, ev);
        } finally {
          conn.release(this.clock.now());
        }
      } while (ep.again || conn.hasOutput);
    } finally {
      ep.servicing = false;
    }
    const rtx = conn.stats.retransmits;
    if (rtx !== ep.countedRetransmits) {
      this.stats.tcpRetransmits += rtx - ep.countedRetransmits;
      ep.countedRetransmits = rtx;
    }
    if (ep.closed) {
      this.heap.remove(ep);
      ep.queued = -1;
      return;
    }
    const deadline = conn.nextDeadline();
    const timeWait = conn.state === 'TIME_WAIT';
    if (timeWait && deadline !== Infinity && this.waits.accepts(deadline)) {
      this.heap.remove(ep);
      this.waits.push(ep, deadline);
    } else {
      ep.queued = -1;
      this.heap.schedule(ep, deadline);
    }
    // A quiet connection in TIME-WAIT is kept in a slot of the store until a
    // segment or its timer needs it whole again.
    if (timeWait) ep.compact();
    this.armTimer();
  }

  private connEvent(ep: TcpEndpoint, ev: ConnEvent): void {
    if (this.onConnEvent !== null) this.onConnEvent(ep, ev);
    const l = ep.listener;
    switch (ev.type) {
      case 'established':
        if (l !== null && l.synQueue.delete(ep)) {
          if (l.closed) break;
          if (l.onConnection !== null) {
            ep.listener = null;
            l.onConnection(ep);
            return;
          }
          l.acceptQueue.push(ep);
        }
        break;
      case 'error':
        this.stats.tcpErrors[ev.code] = (this.stats.tcpErrors[ev.code] ?? 0) + 1;
        break;
      case 'state':
        if (ev.from === 'TIME_WAIT') this.stats.tcpTimeWait--;
        if (ev.to === 'TIME_WAIT' && ++this.stats.tcpTimeWait > this.maxTimeWait) {
          // No bucket left: forget the connection now (ABORT in TIME_WAIT
          // sends nothing, RFC 9293 §3.10.5); its state event counts it out.
          this.stats.tcpTimeWaitOverflow++;
          ep.deliver(ev);
          ep.conn.abort(this.clock.now());
          ep.again = true;
          return;
        }
        break;
      case 'closed':
        ep.closed = true;
        this.removeConn(ep);
        if (l !== null) {
          l.synQueue.delete(ep);
          const i = l.acceptQueue.indexOf(ep);
          if (i >= 0) l.acceptQueue.splice(i, 1);
          ep.listener = null;
        }
        break;
      default:
        break;
    }
    ep.deliver(ev);
  }

  private armTimer(): void {
    const earliest = Math.min(this.heap.earliest, this.waits.earliest);
    if (earliest === Infinity || this.closedStack) return;
    // A timer set while firing never fires at the same instant again: a
    // deadline the connection did not move would otherwise spin.
    const at = this.firing ? Math.max(earliest, this.clock.now() + 1) : earliest;
    if (this.timer !== null && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(at, this.onClockTimer);
  }

  private readonly onClockTimer = (): void => {
    this.timer = null;
    this.timerAt = Infinity;
    const now = this.clock.now();
    const due = this.due;
    // Earliest first, from the heap and the TIME-WAIT queue (the heap's on a tie).
    for (;;) {
      const ep = this.heap.earliest <= this.waits.earliest ? this.heap.popDue(now) : this.waits.popDue(now);
      if (ep === undefined) break;
      due[this.dueCount++] = ep;
    }
    this.firing = true;
    try {
      for (let i = 0; i < this.dueCount; i++) {
        const ep = due[i]!;
        due[i] = null;
        if (ep.closed) continue;
        ep.conn.onTimer(now);
        this.serviceTcp(ep);
      }
    } finally {
      for (let i = 0; i < this.dueCount; i++) due[i] = null;
      this.dueCount = 0;
      this.firing = false;
    }
    this.armTimer();
  };

  /**
   * Emit a segment from `local` to `remote`, or cut a train of them
   * (Segment.gsoSize) into its segments, as a NIC does with a TSO
   * super-segment: the same header on each, the sequence number advancing
   * by the payload before it, PSH on the last one only.
   */
  private sendSegment(seg: Segment, local: Uint8Array, remote: Uint8Array): void {
    const size = seg.gsoSize ?? 0;
    if (size === 0 || seg.payload.length <= size) {
      this.sendOne(seg, local, remote);
      return;
    }
    // A device with segmentation offload cuts the train itself.
    if (this.sendSuperSegments(seg, local, remote, size)) return;
    const train = seg.payload;
    const flags = seg.flags;
    if (this.cutting) {
      // A device that delivered at once led back here while a train is
      // being cut: this one goes piece by piece.
      for (let off = 0; off < train.length; off += size) this.sendPiece(seg, local, remote, off, size, flags);
      return;
    }
    this.cutting = true;
    try {
      // The first piece the ordinary way (its headers are kept in
      // trainHeader), the others from its headers.
      seg.payload = u8sub(train, 0, size);
      seg.flags = flags & ~PSH;
      const path = this.sendOne(seg, local, remote, true);
      seg.payload = train;
      seg.flags = flags;
      if (path === undefined) {
        // No route: each piece is a drop of its own.
        for (let off = size; off < train.length; off += size) this.sendPiece(seg, local, remote, off, size, flags);
        return;
      }
      const h = this.trainHeader;
      const headers = h.bytes.length;
      const v6 = h.ipLength === IPV6_HEADER;
      const sums = this.trainSums;
      if (!h.partial) pieceSums(train, size, train.length, size, sums);
      for (let off = size, k = 0; off < train.length; off += size, k++) {
        const end = Math.min(off + size, train.length);
        // Every byte is written: a recycled buffer will do.
        const packet = packetSlab.take(headers + end - off);
        const id = v6 ? 0 : this.nextIpId();
        writeTrainPiece(h, packet, (seg.seq + off) >>> 0, end === train.length && (flags & PSH) !== 0, id, u8sub(train, off, end), h.partial ? 0 : sums[k]!);
        this.stats.tcpOut++;
        this.stats.tcpOutCut++;
        this.transmit(path, packet, h.partial);
      }
    } finally {
      this.cutting = false;
    }
  }

  /**
   * A train for a device with segmentation offload (NetDevice.gsoMaxSize):
   * as few super-segments as the device takes, each of whole pieces but
   * the last, PSH on the last one only; the device cuts them into the
   * packets sendSegment would have made. Whether it went that way (false:
   * no such device, or a piece would not fit the path MTU).
   */
  private sendSuperSegments(seg: Segment, local: Uint8Array, remote: Uint8Array, size: number): boolean {
    const path = this.pathTo(remote);
    if (path === undefined || path.iface === null) return false;
    const dev = path.iface.device;
    const max = dev.gsoMaxSize ?? 0;
    if (max === 0 || dev.checksumOffload !== true || (seg.flags & (SYN | FIN | RST)) !== 0) return false;
    const headers = (remote.length === 16 ? IPV6_HEADER : IPV4_HEADER) + ownTcpHeaderLength(seg.options);
    // Payload bytes per super-segment: whole pieces, at least two.
    const per = Math.floor((max - headers) / size) * size;
    if (headers + size > path.mtu || per < 2 * size) return false;
    const train = seg.payload;
    const seq = seg.seq;
    const flags = seg.flags;
    try {
      for (let off = 0; off < train.length; off += per) {
        const end = Math.min(off + per, train.length);
        seg.seq = (seq + off) >>> 0;
        seg.payload = u8sub(train, off, end);
        seg.flags = end === train.length ? flags : flags & ~PSH;
        this.sendOne(seg, local, remote, false, end - off > size ? size : 0);
      }
    } finally {
      seg.seq = seq;
      seg.payload = train;
      seg.flags = flags;
    }
    return true;
  }

  /** Piece [off, off + size) of a train, emitted alone. */
  private sendPiece(seg: Segment, local: Uint8Array, remote: Uint8Array, off: number, size: number, flags: number): void {
    const train = seg.payload;
    const seq = seg.seq;
    const end = Math.min(off + size, train.length);
    seg.seq = (seq + off) >>> 0;
    seg.payload = u8sub(train, off, end);
    seg.flags = end === train.length ? flags : flags & ~PSH;
    this.sendOne(seg, local, remote);
    seg.seq = seq;
    seg.payload = train;
    seg.flags = flags;
  }

  /** The header record of the train being cut (sendSegment), room for its headers, its pieces' sums. */
  private readonly trainHeader: TrainHeader = { bytes: EMPTY, ipLength: 0, tcpLength: 0, pseudoSum: 0, partial: false, ipBaseSum: 0, tcpBaseSum: 0 };
  private readonly trainHeaderBytes = new Uint8Array(IPV6_HEADER + 60);
  private readonly trainSums: number[] = [];
  /** A train is being cut. */
  private cutting = false;

  /**
   * Emit one TCP segment from `local` to `remote`; returns the path it took
   * (undefined: no route). `first`: the first piece of a train, whose
   * headers go to trainHeader before the packet goes to the device.
   * `gsoSize` > 0: a super-segment for the device to cut into segments of
   * that many payload bytes (sendSuperSegments).
   */
  private sendOne(seg: Segment, local: Uint8Array, remote: Uint8Array, first = false, gsoSize = 0): Path | undefined {
    const path = this.pathTo(remote);
    if (path === undefined) {
      this.drop('noRoute');
      return undefined;
    }
    const v6 = remote.length === 16;
    const hlen = v6 ? IPV6_HEADER : IPV4_HEADER;
    // Every segment sent here is the stack's own (a connection's, or an
    // answer the stack made), its fields in range by construction: it is
    // written without checking them again (writeTcp, writeIpv4Header).
    const tcpHeader = ownTcpHeaderLength(seg.options);
    const tcpLen = tcpHeader + seg.payload.length;
    // The writers set every byte: a recycled buffer will do.
    const packet = packetSlab.take(hlen + tcpLen);
    // Checksum offload: the device (the kernel behind a TUN) completes the
    // checksum if the packet ever leaves the host; nobody sums the data.
    const partial = path.iface !== null && path.iface.device.checksumOffload === true;
    writeTcp(seg, local, remote, packet, hlen, partial, tcpHeader);
    const ecn = seg.ecn ?? 0;
    if (v6) emitIpv6({ trafficClass: ecn, nextHeader: IPPROTO_TCP, hopLimit: this.ttl, src: local, dst: remote }, tcpLen, packet, 0);
    else writeIpv4Header(packet, 0, tcpLen, ecn, this.nextIpId(), true, this.ttl, IPPROTO_TCP, local, remote);
    if (gsoSize > 0) {
      // The device numbers the segments' IPv4 identifications up from this
      // one's: they are taken here.
      const pieces = Math.ceil(seg.payload.length / gsoSize);
      if (!v6) this.ipId = (this.ipId + pieces - 1) & 0xffff;
      this.stats.tcpOut += pieces - 1;
      this.stats.tcpOutSuper++;
    }
    this.stats.tcpOut++;
    if ((seg.flags & RST) !== 0) this.stats.tcpResetsOut++;
    if (first) {
      const h = this.trainHeader;
      h.ipLength = hlen;
      h.tcpLength = tcpLen - seg.payload.length;
      h.bytes = this.trainHeaderBytes.subarray(0, hlen + h.tcpLength);
      h.bytes.set(packet.subarray(0, hlen + h.tcpLength));
      h.pseudoSum = pseudoHeaderSum(local, remote, IPPROTO_TCP, 0);
      h.partial = partial;
      prepareTrain(h);
    }
    this.transmit(path, packet, partial, gsoSize);
    return path;
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  private transmit(path: Path, packet: Uint8Array, partialChecksum = false, gsoSize = 0): void {
    // A super-segment's pieces were fitted to the MTU (sendSuperSegments).
    if (packet.length > path.mtu && gsoSize === 0) return this.drop('tooBig', packet);
    this.stats.ipOut++;
    if (path.iface === null) {
      this.loopQueue.push(packet);
      this.loopTimer ??= this.clock.setTimer(this.clock.now(), this.runLoopback);
      return;
    }
    if (gsoSize > 0) path.iface.device.send(packet, partialChecksum, gsoSize);
    else path.iface.device.send(packet, partialChecksum);
  }

  private readonly runLoopback = (): void => {
    this.loopTimer = null;
    // Packets queued while these are processed wait for the next round.
    const batch = this.loopQueue.splice(0, this.loopQueue.length);
    for (const p of batch) this.receive(null, p);
  };

  /** RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs timer. */
  private defaultIsn(t: FourTuple, now: number): number {
    const f = this.hashInput.reset().bytes(t.localAddr).u16(t.localPort).bytes(t.remoteAddr).u16(t.remotePort).hash(this.isnKey);
    return (Math.floor(now / 4) + f) >>> 0;
  }

  // ------------------------------------------------------------------ UDP

  createUdpSocket(opts: UdpSocketOptions = {}): UdpSocket {
    this.checkOpen('socket');
    return new UdpSocket(this, opts);
  }

  udpBind(sock: UdpSocket, addr: Uint8Array, port: number): number {
    let a = addr;
    if (isV4Mapped(a)) a = unmapV4(a);
    const text = formatAddress(a);
    if (!isUnspecified(a) && !this.isLocalAddress(a)) throw new StackError('EADDRNOTAVAIL', 'bind', text, port);
    if (port === 0) {
      const chosen = this.ports.select(a, EMPTY, 0, (p) => !this.udpByPort.has(p));
      if (chosen === undefined) throw new StackError('EADDRINUSE', 'bind', text, 0);
      port = chosen;
    } else {
      const list = this.udpByPort.get(port);
      if (list !== undefined) {
        for (const s of list) if (overlaps(udpBoundAddr(s), s.ipv6Only, a, sock.ipv6Only)) throw new StackError('EADDRINUSE', 'bind', text, port);
      }
    }
    this.udpBindings.set(endpointKey(a, port), sock);
    let list = this.udpByPort.get(port);
    if (list === undefined) this.udpByPort.set(port, (list = []));
    list.push(sock);
    return port;
  }

  udpUnbind(sock: UdpSocket): void {
    if (sock.boundAddr === null) return;
    const a = udpBoundAddr(sock);
    const key = endpointKey(a, sock.boundPort);
    if (this.udpBindings.get(key) === sock) this.udpBindings.delete(key);
    const list = this.udpByPort.get(sock.boundPort);
    if (list !== undefined) {
      const i = list.indexOf(sock);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.udpByPort.delete(sock.boundPort);
    }
  }

  udpSend(sock: UdpSocket, data: Uint8Array, dst: Uint8Array, dstPort: number): void {
    let remote = dst;
    if (isV4Mapped(remote)) remote = unmapV4(remote);
    const text = formatAddress(remote);
    if (isUnspecified(remote)) throw new StackError('EINVAL', 'send', text, dstPort);
    const path = this.pathTo(remote);
    if (path === undefined) throw new StackError('ENETUNREACH', 'send', text, dstPort);
    let src = path.src;
    const bound = udpBoundAddr(sock);
    if (!isUnspecified(bound)) {
      if (bound.length !== remote.length) throw new StackError('EINVAL', 'send', text, dstPort);
      src = bound;
    } else if (bound.length === 16 && remote.length === 4 && sock.ipv6Only) {
      throw new StackError('ENETUNREACH', 'send', text, dstPort);
    }
    const v6 = remote.length === 16;
    const hlen = v6 ? IPV6_HEADER : IPV4_HEADER;
    const udpLen = 8 + data.length;
    if (hlen + udpLen > path.mtu || udpLen > 65535) throw new StackError('EMSGSIZE', 'send', text, dstPort);
    const packet = packetSlab.alloc(hlen + udpLen);
    emitUdp({ srcPort: sock.boundPort, dstPort, payload: data }, src, remote, packet, hlen);
    if (v6) emitIpv6({ nextHeader: IPPROTO_UDP, hopLimit: this.ttl, src, dst: remote }, udpLen, packet, 0);
    else emitIpv4({ ttl: this.ttl, protocol: IPPROTO_UDP, src, dst: remote, identification: this.nextIpId() }, udpLen, packet, 0);
    this.stats.udpOut++;
    this.transmit(path, packet);
  }

  private findUdp(dst: Uint8Array, port: number): UdpSocket | undefined {
    let s = this.udpBindings.get(endpointKey(dst, port));
    if (s !== undefined) return s;
    s = this.udpBindings.get(endpointKey(dst.length === 4 ? IPV4_ANY : IPV6_ANY, port));
    if (s !== undefined) return s;
    if (dst.length === 4) {
      s = this.udpBindings.get(endpointKey(IPV6_ANY, port));
      if (s !== undefined && !s.ipv6Only) return s;
    }
    return undefined;
  }

  private inputUdp(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, packet: Uint8Array, checksumValid: boolean): void {
    const r = checksumValid ? parseUdp(buf) : parseUdp(buf, { src, dst });
    if (!r.ok) {
      if (r.error.reason.startsWith('bad checksum') || r.error.reason.startsWith('zero checksum')) return this.badChecksum(r.error, packet);
      return this.malformed(r.error, packet);
    }
    const d = r.value;
    this.stats.udpIn++;
    const sock = this.findUdp(dst, d.dstPort);
    if (sock === undefined || !sock.deliver(d.payload, src, d.srcPort)) {
      this.drop('noPort', packet);
      if (sock !== undefined || isMulticastOrBroadcast(dst)) return;
      // RFC 1122 §4.1.3.1 / RFC 4443 §3.1: port unreachable.
      if (src.length === 4) {
        this.sendIcmpError4({ kind: 'destUnreachable', code: ICMP_UNREACH_PORT, nextHopMtu: 0, original: EMPTY }, src, dst, packet);
      } else {
        this.sendIcmpError6({ kind: 'destUnreachable', code: ICMPV6_UNREACH_PORT, original: EMPTY }, src, dst, packet);
      }
    }
  }

  // ----------------------------------------------------------------- ICMP

  /** Take one token from the ICMP error bucket; false when the limit says no. */
  private icmpAllowed(): boolean {
    const lim = this.rateLimit;
    if (lim === false) return true;
    const now = this.clock.now();
    this.icmpTokens = Math.min(lim.burst, this.icmpTokens + ((now - this.icmpTokensAt) * lim.perSecond) / 1_000_000);
    this.icmpTokensAt = now;
    if (this.icmpTokens < 1) {
      this.stats.icmpRateLimited++;
      return false;
    }
    this.icmpTokens -= 1;
    return true;
  }

  /**
   * Send an ICMP error about `packet` (which came from `src` to `dst`) back
   * to its source, quoting as much of it as fits in 576 bytes (RFC 1812
   * §4.3.2.3). Never about an ICMP error, a broadcast, or without a usable
   * source (RFC 1122 §3.2.2).
   */
  private sendIcmpError4(m: Extract<IcmpMessage, { original: Uint8Array }>, src: Uint8Array, dst: Uint8Array, packet: Uint8Array): void {
    if (isMulticastOrBroadcast(dst) || isMulticastOrBroadcast(src) || isUnspecified(src)) return;
    if (!this.icmpAllowed()) return;
    const quoted = packet.subarray(0, Math.min(packet.length, 576 - IPV4_HEADER - 8));
    this.sendIcmp4({ ...m, original: quoted }, dst, src);
  }

  /** As sendIcmpError4, for ICMPv6: quote up to the minimum MTU (RFC 4443 §2.4 (c)). */
  private sendIcmpError6(m: Extract<Icmpv6Message, { original: Uint8Array }>, src: Uint8Array, dst: Uint8Array, packet: Uint8Array): void {
    if (isMulticastOrBroadcast(dst) || isMulticastOrBroadcast(src) || isUnspecified(src)) return;
    if (!this.icmpAllowed()) return;
    const quoted = packet.subarray(0, Math.min(packet.length, IPV6_MIN_MTU - IPV6_HEADER - 8));
    this.sendIcmp6({ ...m, original: quoted }, dst, src);
  }

  private sendIcmp4(m: IcmpMessage, from: Uint8Array | undefined, to: Uint8Array): void {
    const path = this.pathTo(to);
    if (path === undefined) return this.drop('noRoute');
    const src = from !== undefined && this.isLocalAddress(from) ? from : path.src;
    const len = icmpLength(m);
    const packet = packetSlab.alloc(IPV4_HEADER + len);
    emitIcmp(m, packet, IPV4_HEADER);
    emitIpv4({ ttl: this.ttl, protocol: IPPROTO_ICMP, src, dst: to, identification: this.nextIpId() }, len, packet, 0);
    this.stats.icmpOut++;
    this.transmit(path, packet);
  }

  private sendIcmp6(m: Icmpv6Message, from: Uint8Array | undefined, to: Uint8Array): void {
    const path = this.pathTo(to);
    if (path === undefined) return this.drop('noRoute');
    const src = from !== undefined && this.isLocalAddress(from) ? from : path.src;
    const len = icmpv6Length(m);
    const packet = packetSlab.alloc(IPV6_HEADER + len);
    emitIcmpv6(m, src, to, packet, IPV6_HEADER);
    emitIpv6({ nextHeader: IPPROTO_ICMPV6, hopLimit: this.ttl, src, dst: to }, len, packet, 0);
    this.stats.icmpOut++;
    this.transmit(path, packet);
  }

  private inputIcmp(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, ttl: number, packet: Uint8Array): void {
    const r = parseIcmp(buf, { verifyChecksum: false });
    if (!r.ok) return this.malformed(r.error, packet);
    if (!r.value.checksumOk) {
      const strict = parseIcmp(buf);
      return this.badChecksum(strict.ok ? { layer: 'icmp', reason: 'bad checksum' } : strict.error, packet);
    }
    this.stats.icmpIn++;
    const m = r.value.message;
    switch (m.kind) {
      case 'echoRequest':
        // RFC 792 / RFC 1122 §3.2.2.6: the reply carries the request's id, sequence and data.
        if (isMulticastOrBroadcast(dst)) return;
        this.stats.echoReplies++;
        this.sendIcmp4({ kind: 'echoReply', id: m.id, seq: m.seq, data: m.data.slice() }, dst, src);
        return;
      case 'echoReply':
        return this.echoReply(`4/${m.id}/${m.seq}`, src, ttl, m.data.length, packet);
      case 'destUnreachable': {
        return this.icmpError(m.original, 4, (quotedLength) => icmp4UnreachableSignal(m.code, m.nextHopMtu, quotedLength), m.code === ICMP_UNREACH_PORT, packet);
      }
      case 'timeExceeded':
        return this.icmpError(m.original, 4, () => TIME_EXCEEDED_SIGNAL, false, packet);
      default:
        return;
    }
  }

  private inputIcmpv6(src: Uint8Array, dst: Uint8Array, buf: Uint8Array, hopLimit: number, packet: Uint8Array): void {
    const r = parseIcmpv6(buf, { src, dst });
    if (!r.ok) {
      if (r.error.reason.startsWith('bad checksum')) return this.badChecksum(r.error, packet);
      return this.malformed(r.error, packet);
    }
    this.stats.icmpIn++;
    const m = r.value.message;
    switch (m.kind) {
      case 'echoRequest':
        // RFC 4443 §4.2.
        if (isMulticastOrBroadcast(dst)) return;
        this.stats.echoReplies++;
        this.sendIcmp6({ kind: 'echoReply', id: m.id, seq: m.seq, data: m.data.slice() }, dst, src);
        return;
      case 'echoReply':
        return this.echoReply(`6/${m.id}/${m.seq}`, src, hopLimit, m.data.length, packet);
      case 'destUnreachable':
        return this.icmpError(m.original, 6, () => icmp6UnreachableSignal(m.code), m.code === ICMPV6_UNREACH_PORT, packet);
      case 'packetTooBig':
        return this.icmpError(m.original, 6, () => icmp6PacketTooBigSignal(m.mtu), false, packet);
      case 'timeExceeded':
        return this.icmpError(m.original, 6, () => TIME_EXCEEDED_SIGNAL, false, packet);
      case 'parameterProblem':
        return this.icmpError(m.original, 6, () => icmp6ParameterProblemSignal(m.code), false, packet);
      default:
        return;
    }
  }

  /**
   * An ICMP error quoting `original`, a packet we sent: find the connection
   * or socket it belongs to and hand it the signal.
   */
  private icmpError(
    original: Uint8Array,
    family: 4 | 6,
    signalFor: (quotedLength: number) => IcmpSignal | undefined,
    portUnreachable: boolean,
    packet: Uint8Array,
  ): void {
    let qsrc: Uint8Array;
    let qdst: Uint8Array;
    let proto: number;
    let upper: Uint8Array;
    let quotedLength: number;
    if (family === 4) {
      const q = parseIpv4(original, { allowTruncated: true, verifyChecksum: false });
      if (!q.ok) return this.malformed({ layer: 'icmp', reason: `quoted packet: ${q.error.reason}` }, packet);
      qsrc = q.value.src;
      qdst = q.value.dst;
      proto = q.value.protocol;
      upper = q.value.payload;
      quotedLength = q.value.totalLength;
      if (q.value.fragmentOffset !== 0) return this.drop('icmpUnmatched', packet);
    } else {
      const q = parseIpv6(original, { allowTruncated: true });
      if (!q.ok) return this.malformed({ layer: 'icmpv6', reason: `quoted packet: ${q.error.reason}` }, packet);
      qsrc = q.value.src;
      qdst = q.value.finalDestination;
      proto = q.value.upperProtocol;
      upper = q.value.payload;
      quotedLength = IPV6_HEADER + q.value.payloadLength;
      if (q.value.fragment !== undefined && q.value.fragment.offset !== 0) return this.drop('icmpUnmatched', packet);
    }
    if (!this.isLocalAddress(qsrc)) return this.drop('icmpUnmatched', packet);
    const signal = signalFor(quotedLength);
    // RFC 792: the quote holds at least the first 8 bytes of the datagram: ports and the sequence number.
    if (proto === IPPROTO_TCP && upper.length >= 8 && signal !== undefined) {
      const ep = this.conns.get(qsrc, get16(upper, 0), qdst, get16(upper, 2));
      // Nothing is in flight in TIME-WAIT (and a slot stays a slot).
      if (ep === undefined || ep.state === 'TIME_WAIT') return this.drop('icmpUnmatched', packet);
      // RFC 5927 §4.1: act only on errors about data in flight (SND.UNA ≤ SEG.SEQ < SND.NXT),
      // which an off-path attacker has to guess. SND.NXT here is the highest ever sent, not the
      // value rewound for a retransmission: a segment sent before the rewind is still in flight.
      const seq = get32(upper, 4);
      if (!seqLe(ep.conn.sndUna, seq) || !seqLt(seq, ep.conn.highData)) return this.drop('icmpUnmatched', packet);
      if (signal.kind === 'mtu') this.learnPmtu(qdst, signal.mtu);
      this.stats.icmpErrorsDelivered++;
      ep.conn.onIcmp(signal, this.clock.now());
      this.serviceTcp(ep);
      return;
    }
    if (proto === IPPROTO_UDP && upper.length >= 8) {
      if (signal?.kind === 'mtu') this.learnPmtu(qdst, signal.mtu);
      const sock = this.findUdp(qsrc, get16(upper, 0));
      if (sock === undefined) return this.drop('icmpUnmatched', packet);
      const code = portUnreachable ? 'ECONNREFUSED' : signal !== undefined && signal.kind !== 'mtu' ? signal.code : undefined;
      if (code !== undefined && sock.deliverError(new StackError(code, 'recv', formatAddress(qdst), get16(upper, 2)))) {
        this.stats.icmpErrorsDelivered++;
      }
      return;
    }
    if ((proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) && upper.length >= 8) {
      // An error about one of our echo requests fails that ping.
      const type = upper[0]!;
      if (type === 8 || type === 128) {
        const key = `${family}/${get16(upper, 4)}/${get16(upper, 6)}`;
        const p = this.pings.get(key);
        if (p !== undefined) {
          this.pings.delete(key);
          p.timer.cancel();
          const code = signal !== undefined && signal.kind !== 'mtu' ? signal.code : 'EHOSTUNREACH';
          this.stats.icmpErrorsDelivered++;
          p.reject(new StackError(code, 'ping', formatAddress(qdst)));
          return;
        }
      }
    }
    this.drop('icmpUnmatched', packet);
  }

  private learnPmtu(dst: Uint8Array, mtu: number): void {
    const key = addrKey(dst);
    const old = this.pmtu.get(key);
    if (old === undefined || mtu < old.mtu || this.clock.now() - old.at > PMTU_AGE) {
      this.pmtu.set(key, { mtu, at: this.clock.now() });
      this.pathGen++;
    }
  }

  /**
   * Send an echo request (ICMP or ICMPv6 by the address family) and resolve
   * with the reply, or reject with a StackError (ETIMEDOUT after `timeout`,
   * ENETUNREACH without a route, or the code of an ICMP error about it).
   */
  ping(address: string | Uint8Array, opts: PingOptions = {}): Promise<PingReply> {
    const dst = typeof address === 'string' ? parseAddress(address) : address;
    if (dst === undefined) return Promise.reject(new StackError('EINVAL', 'ping', String(address)));
    const text = formatAddress(dst);
    const path = this.pathTo(dst);
    if (path === undefined) return Promise.reject(new StackError('ENETUNREACH', 'ping', text));
    const id = opts.id ?? this.pingId;
    const seq = opts.seq ?? (this.pingId = (this.pingId + 1) & 0xffff);
    const data = opts.data ?? new Uint8Array(56);
    const family = dst.length === 4 ? 4 : 6;
    const key = `${family}/${id}/${seq}`;
    if (this.pings.has(key)) return Promise.reject(new StackError('EINVAL', 'ping', text));
    return new Promise<PingReply>((resolve, reject) => {
      const sentAt = this.clock.now();
      const timer = this.clock.setTimer(sentAt + (opts.timeout ?? 1_000_000), () => {
        this.pings.delete(key);
        reject(new StackError('ETIMEDOUT', 'ping', text));
      });
      this.pings.set(key, { sentAt, resolve, reject, timer });
      if (family === 4) this.sendIcmp4({ kind: 'echoRequest', id, seq, data }, undefined, dst);
      else this.sendIcmp6({ kind: 'echoRequest', id, seq, data }, undefined, dst);
    });
  }

  private echoReply(key: string, from: Uint8Array, ttl: number, bytes: number, packet: Uint8Array): void {
    const p = this.pings.get(key);
    if (p === undefined) return this.drop('icmpUnmatched', packet);
    this.pings.delete(key);
    p.timer.cancel();
    p.resolve({ rtt: this.clock.now() - p.sentAt, ttl, bytes, from: formatAddress(from) });
  }

  // -------------------------------------------------------------- closing

  private checkOpen(syscall: string): void {
    if (this.closedStack) throw new StackError('EBADF', syscall);
  }

  /**
   * Shut the stack down: connections are aborted (with RST), listeners and
   * sockets closed, devices detached (not closed: they belong to the caller).
   */
  close(): void {
    if (this.closedStack) return;
    this.endReceiveBatch();
    for (const l of [...this.listeners.values()]) l.close();
    for (const ep of [...this.conns.values()]) ep.abort();
    for (const list of [...this.udpByPort.values()]) for (const s of [...list]) s.close();
    for (const p of this.pings.values()) {
      p.timer.cancel();
      p.reject(new StackError('ECANCELED', 'ping'));
    }
    this.pings.clear();
    this.closedStack = true;
    this.timer?.cancel();
    this.timer = null;
    this.loopTimer?.cancel();
    this.loopTimer = null;
    for (const i of this.interfaces) {
      i.device.onReceive = null;
      i.device.takesSuperSegments = false;
      if (i.device.onReceiveBatchEnd !== undefined) i.device.onReceiveBatchEnd = null;
    }
  }
}

/** Our MSS on a path of `mtu` bytes: the MTU less the IP and TCP headers (RFC 9293 §3.7.1). */
function mssFor(mtu: number, remote: Uint8Array): number {
  return mtu - (remote.length === 16 ? IPV6_HEADER : IPV4_HEADER) - TCP_HEADER;
}

/** The address a UDP socket is filed under (IPv4-mapped bindings as IPv4). */
function udpBoundAddr(s: UdpSocket): Uint8Array {
  const a = s.boundAddr ?? (s.type === 'udp6' ? IPV6_ANY : IPV4_ANY);
  return isV4Mapped(a) ? unmapV4(a) : a;
}

/**
 * Whether two bindings of one port overlap: the same address, a wildcard
 * against anything of its family, or IPv4 against a dual-stack IPv6
 * wildcard.
 */
function overlaps(a: Uint8Array, aV6Only: boolean, b: Uint8Array, bV6Only: boolean): boolean {
  if (a.length === b.length) return isUnspecified(a) || isUnspecified(b) || addrEqual(a, b);
  const [v6, v6Only] = a.length === 16 ? [a, aV6Only] : [b, bV6Only];
  return isUnspecified(v6) && !v6Only;
}
