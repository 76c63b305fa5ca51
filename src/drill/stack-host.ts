// The DrillHost backed by a synack Stack: one stack on a virtual clock, its
// single interface a capture device (what the stack sends is what the script
// sees; what the script injects arrives as if from the wire), and the
// scripted system calls mapped onto the stack's TCP API with the errno
// results a kernel gives (EINPROGRESS, EAGAIN, ECONNREFUSED, ECONNRESET,
// EPIPE, ENOTCONN...). Settings the script makes with sysctls become the
// stack's TcpConfig; two profiles give the defaults of the platform the
// script was written for: Linux (the google and kernel suites) and FreeBSD
// (the freebsd-net suite).

import type { Expr, Script, StructField } from './ast.js';
import type { DrillEnvironment } from './env.js';
import { applySysctl, settingsToTcpConfig, DEFAULT_CAPABILITIES, type DrillCapabilities, type DrillFeatures, type DrillSettings } from './features.js';
import { analyzeShell, type ShellAction } from './shell.js';
import type { DrillHost, HostSyscall, HostSyscallResult, LiveIcmp, LiveIp, LivePacket } from './runner.js';
import { errnoValue, evalInt, hasFlag, symbolValue, type Platform } from './symbols.js';
import { VirtualClock } from '../sim/virtual-clock.js';
import { Rng } from '../sim/rng.js';
import { Stack } from '../stack/stack.js';
import type { TcpEndpoint, TcpListener } from '../stack/tcp-endpoint.js';
import { isStackError } from '../stack/errors.js';
import { IPV4_ANY, IPV6_ANY, formatAddress, isV4Mapped, mapV4, parseAddress, unmapV4 } from '../stack/addr.js';
import type { NetDevice } from '../link/device.js';
import type { TcpConfig } from '../tcp/config.js';
import { FREEBSD_PROFILE, LINUX_PROFILE } from './profiles.js';
import type { ConnEvent, TcpState } from '../tcp/types.js';
import { ACK } from '../wire/tcp-types.js';
import { emitIpv4, parseIpv4 } from '../wire/ipv4.js';
import { emitIpv6, parseIpv6 } from '../wire/ipv6.js';
import { emitTcp, IPPROTO_TCP, parseTcp, tcpHeaderLength } from '../wire/tcp.js';
import { emitUdp, IPPROTO_UDP, parseUdp } from '../wire/udp.js';
import { emitIcmp, IPPROTO_ICMP, parseIcmp, type IcmpMessage } from '../wire/icmp.js';
import { emitIcmpv6, IPPROTO_ICMPV6, parseIcmpv6, type Icmpv6Message } from '../wire/icmpv6.js';
import { put16, put32 } from '../wire/bytes.js';

export type DrillProfile = Platform;

export interface StackHostOptions {
  /** Whose defaults the stack takes (default linux). */
  profile?: DrillProfile;
  /** Seed of the stack's randomness (ports, ISNs); runs with one seed replay exactly. */
  seed?: number | string;
}

/** What this host can run: the portable socket API and the options it maps onto the stack. */
export const STACK_HOST_CAPABILITIES: DrillCapabilities = { ...DEFAULT_CAPABILITIES, codeBlocks: true, ecn: true };

const SECOND = 1_000_000;
/** Linux's default tcp_rmem / tcp_wmem (min, default, max). */
const LINUX_RMEM: [number, number, number] = [4096, 131072, 6291456];
const LINUX_WMEM: [number, number, number] = [4096, 16384, 4194304];
/** Linux net.core.rmem_max / wmem_max: the cap on SO_RCVBUF / SO_SNDBUF. */
const LINUX_CORE_MAX = 212992;
/** FreeBSD kern.ipc.maxsockbuf. */
const FREEBSD_MAXSOCKBUF = 2097152;
/** Linux TCP_MSS_DEFAULT: what TCP_MAXSEG reads before a connection has an MSS. */
const LINUX_MSS_DEFAULT = 536;

// ---------------------------------------------------------------------------
// The device between the stack and the script

/** A NetDevice whose transmissions are collected and whose receptions are injected. */
class CaptureDevice implements NetDevice {
  onReceive: ((packet: Uint8Array) => void) | null = null;
  constructor(
    public mtu: number,
    private readonly sink: (packet: Uint8Array) => void,
  ) {}

  send(packet: Uint8Array): void {
    this.sink(packet);
  }

  inject(packet: Uint8Array): void {
    this.onReceive?.(packet);
  }

  close(): void {
    this.onReceive = null;
  }
}

/** One packet crossing the device, for traces. */
export interface TracedPacket {
  time: number;
  direction: 'in' | 'out';
  bytes: Uint8Array;
}

// ---------------------------------------------------------------------------
// Sockets

interface SockOptions {
  reuseAddr: number;
  reusePort: number;
  keepAlive: boolean;
  noDelay: boolean;
  /** Seconds, as the socket API takes them. */
  keepIdle?: number;
  keepIntvl?: number;
  keepCnt?: number;
  /** The values getsockopt reports (already doubled on Linux). */
  rcvBuf?: number;
  sndBuf?: number;
  linger?: { onoff: number; linger: number };
  maxSeg?: number;
  rcvLowat: number;
}

class Sock {
  bound: { addr: Uint8Array; port: number } | undefined;
  listener: TcpListener | undefined;
  ep: TcpEndpoint | undefined;
  /** connect() started and its outcome not yet reported by a later connect(). */
  connecting = false;
  established = false;
  /** A pending socket error (SO_ERROR; reported once by the next call that fails). */
  err: string | undefined;
  eof = false;
  /** The connection has reached CLOSED. */
  dead = false;
  rdShut = false;
  wrShut = false;
  /** Accepted from a listener (not opened by connect). */
  passive = false;
  /** The segment size once the peer's SYN was seen (FreeBSD rounds SO_RCVBUF up to it). */
  synMss: number | undefined;
  readonly opts: SockOptions = { reuseAddr: 0, reusePort: 0, keepAlive: false, noDelay: false, rcvLowat: 1 };

  constructor(
    readonly fd: number,
    /** The socket's address family (an AF_INET6 socket may carry IPv4 as mapped addresses). */
    readonly family: 4 | 6,
    public nonblocking: boolean,
  ) {}

  get state(): TcpState {
    if (this.listener !== undefined) return 'LISTEN';
    return this.ep?.state ?? 'CLOSED';
  }
}

type Outcome = HostSyscallResult | 'pending';

function ok(ret = 0): HostSyscallResult {
  return { ret };
}

function fail(errno: string): HostSyscallResult {
  return { ret: -1, errno };
}

/** Linux tcpi_state numbers (include/net/tcp_states.h). */
const LINUX_STATE: Record<TcpState, number> = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECEIVED: 3,
  FIN_WAIT_1: 4,
  FIN_WAIT_2: 5,
  TIME_WAIT: 6,
  CLOSED: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
};

function prefixLength(mask: string): number | undefined {
  const a = parseAddress(mask);
  if (a === undefined) return undefined;
  let n = 0;
  for (const b of a) {
    for (let bit = 7; bit >= 0; bit--) {
      if ((b >> bit) & 1) n++;
      else return n;
    }
  }
  return n;
}

function exprString(e: Expr | undefined): string | undefined {
  if (e === undefined) return undefined;
  if (e.kind === 'string') return e.value;
  if (e.kind === 'call' && e.args.length === 1) return exprString(e.args[0]);
  return undefined;
}

function field(fields: StructField[], ...names: string[]): Expr | undefined {
  for (const f of fields) if (names.includes(f.name)) return f.value;
  return undefined;
}

/** A NULL pointer argument (`NULL` or `0`): the EFAULT tests. */
function isNull(e: Expr | undefined): boolean {
  return (e?.kind === 'int' && e.value === 0) || (e?.kind === 'word' && e.name === 'NULL');
}

// ---------------------------------------------------------------------------

export class StackHost implements DrillHost {
  readonly profile: DrillProfile;
  private readonly seed: number | string;
  private clock = new VirtualClock(0);
  private stack: Stack | undefined;
  private device: CaptureDevice | undefined;
  private env: DrillEnvironment | undefined;
  private features: DrillFeatures | undefined;
  private settings: DrillSettings = { other: {} };
  private readonly out: LivePacket[] = [];
  /** Every packet both ways, for traces and pcap files. */
  readonly trace: TracedPacket[] = [];
  private readonly socks = new Map<number, Sock>();
  /** The socket whose connection a tcp_info snapshot describes: the latest one connected or accepted. */
  private current: Sock | undefined;
  private pending: { fn: () => HostSyscallResult | undefined; timer?: { cancel(): void } } | undefined;
  private completed: (HostSyscallResult & { time: number }) | undefined;
  private dropOutbound = false;
  /** The MSS a route change asked the stack to advertise. */
  private routeAdvmss: number | undefined;

  constructor(opts: StackHostOptions = {}) {
    this.profile = opts.profile ?? 'linux';
    this.seed = opts.seed ?? 1;
  }

  // ---- setup ----

  setup(env: DrillEnvironment, features: DrillFeatures, script?: Script): string | undefined {
    this.env = env;
    this.features = features;
    this.clock = new VirtualClock(0);
    for (const s of features.sysctls) if (s.origin === 'init') applySysctl(this.settings, s.name, s.value);
    let mtu = env.mtu;
    // packetdrill's Linux harness runs IPv6 with --mtu=1520 (so the MSS stays
    // 1460); the FreeBSD suite ran on a plain 1500-byte tun.
    if (this.profile === 'freebsd' && env.ipVersion === 'ipv6' && env.explicit?.has('mtu') !== true) mtu = 1500;
    const local = parseAddress(env.localIp);
    const remote = parseAddress(env.remoteIp);
    if (local === undefined) return `bad local address ${env.localIp}`;
    if (remote === undefined) return `bad remote address ${env.remoteIp}`;
    const plen = prefixLength(env.netmaskIp) ?? (local.length === 4 ? 16 : 64);
    this.stack = new Stack({
      clock: this.clock,
      random: new Rng(this.seed),
      tcp: this.tcpConfig(),
      // packetdrill's peer is one address: ICMP errors it provokes are not rate limited in the scripts' eyes.
      icmpRateLimit: false,
    });
    this.device = new CaptureDevice(mtu, (p) => this.transmitted(p));
    this.stack.addInterface({ device: this.device, addresses: `${formatAddress(local)}/${plen}`, defaultRoute: true, name: 'tun0' });
    // The init command's device and route changes (its sysctls are in the features).
    if (script?.initCommand !== undefined) this.deviceActions(analyzeShell(script.initCommand.text));
    return undefined;
  }

  /**
   * qdisc, link MTU and route changes. There is one device and one peer, so
   * a route's MTU is the device's and its advmss the MSS the stack offers.
   */
  private deviceActions(actions: ShellAction[]): void {
    for (const a of actions) {
      if (a.kind === 'qdisc') this.dropOutbound = a.limit === 0;
      else if (a.kind === 'mtu') this.setMtu(a.mtu);
      else if (a.kind === 'route') {
        if (a.mtu !== undefined && Number.isInteger(a.mtu) && a.mtu >= 68) this.setMtu(a.mtu);
        if (a.advmss !== undefined && Number.isInteger(a.advmss) && a.advmss > 0) {
          this.routeAdvmss = a.advmss;
          this.reconfigure();
        }
      }
    }
  }

  private setMtu(mtu: number): void {
    if (this.device === undefined || this.stack === undefined) return;
    this.device.mtu = mtu;
    for (const i of this.stack.getInterfaces()) i.mtu = mtu;
  }

  /** The stack's TcpConfig for the profile and the settings made so far. */
  private tcpConfig(): TcpConfig {
    const s = this.settings;
    const base = this.profile === 'freebsd' ? FREEBSD_PROFILE : LINUX_PROFILE;
    // Both platforms accept ECN when asked unless told otherwise (tcp_ecn=2, ecn.enable=2).
    const cfg: TcpConfig = { ...base, ecn: 'accept', ...settingsToTcpConfig(s) };
    // The stack derives its window scale from the receive buffer; each
    // platform derives it from the largest buffer a socket may grow to
    // (Linux: tcp_rmem[2]; FreeBSD: kern.ipc.maxsockbuf), so that is the
    // buffer the stack gets.
    if (this.routeAdvmss !== undefined) cfg.mss = this.routeAdvmss;
    if (this.profile === 'linux') {
      cfg.rcvBuf = (s.rmem ?? LINUX_RMEM)[2];
      cfg.sndBuf = (s.wmem ?? LINUX_WMEM)[1];
    } else {
      const max = Number(s.other['kern.ipc.maxsockbuf'] ?? FREEBSD_MAXSOCKBUF);
      cfg.rcvBuf = Number.isInteger(max) && max > 0 ? max : FREEBSD_MAXSOCKBUF;
    }
    return cfg;
  }

  /** Re-apply the settings to the stack (sysctls are global: they shape connections opened from now on). */
  private reconfigure(): void {
    if (this.stack === undefined) return;
    Object.assign(this.stack.tcpConfig, this.tcpConfig());
  }

  private get family(): 4 | 6 {
    return this.env?.ipVersion === 'ipv4' ? 4 : 6;
  }

  private get platform(): Platform {
    return this.profile;
  }

  now(): number {
    return this.clock.now();
  }

  // ---- time ----

  advance(until: number, stopOnOutbound: boolean): void {
    const limit = Number.isFinite(until) ? until : this.clock.now() + 3600 * SECOND;
    for (;;) {
      if (stopOnOutbound && this.out.length > 0) return;
      const next = this.clock.nextEventTime();
      if (next === undefined || next > limit) break;
      this.clock.step();
      this.checkPending();
    }
    if (limit > this.clock.now()) this.clock.runUntil(limit);
    this.checkPending();
  }

  // ---- packets ----

  private transmitted(packet: Uint8Array): void {
    const time = this.clock.now();
    this.trace.push({ time, direction: 'out', bytes: packet });
    if (this.dropOutbound) return;
    const live = toLive(packet, time);
    if (live !== undefined) this.out.push(live);
  }

  pollOutbound(): LivePacket | undefined {
    return this.out.shift();
  }

  inject(packet: LivePacket): void {
    const bytes = toBytes(packet);
    if (bytes === undefined) return;
    this.trace.push({ time: this.clock.now(), direction: 'in', bytes });
    this.device!.inject(bytes);
    this.checkPending();
  }

  /** A listening socket's options, for the connections it will accept. */
  private listenerOptionsChanged(s: Sock): void {
    if (s.listener !== undefined) this.stack!.setListenerConfig(s.listener, this.connConfig(s));
  }

  /** The TcpConfig fields a socket's options change. */
  private connConfig(s: Sock): Partial<TcpConfig> {
    const c: Partial<TcpConfig> = {};
    const o = s.opts;
    if (o.noDelay) c.nagle = false;
    if (o.keepIdle !== undefined) c.keepaliveIdle = o.keepIdle * SECOND;
    if (o.keepIntvl !== undefined) c.keepaliveInterval = o.keepIntvl * SECOND;
    if (o.keepCnt !== undefined) c.keepaliveProbes = o.keepCnt;
    // Linux: a locked SO_RCVBUF bounds the window and so the window scale;
    // half the (doubled) buffer is offered as window (tcp_adv_win_scale 1).
    if (o.rcvBuf !== undefined && this.profile === 'linux') c.rcvBuf = Math.max(1, Math.floor(o.rcvBuf / 2));
    if (o.sndBuf !== undefined) c.sndBuf = o.sndBuf;
    if (o.maxSeg !== undefined) c.mss = o.maxSeg;
    return c;
  }

  // ---- shell ----

  shell(_text: string, actions: ShellAction[], line?: number): string | undefined {
    let changed = false;
    if (line !== undefined && this.features !== undefined) {
      for (const s of this.features.sysctls) {
        if (s.origin === 'event' && s.line === line) changed = applySysctl(this.settings, s.name, s.value) || changed;
        if (s.origin === 'event' && s.line === line && s.name === 'kern.ipc.maxsockbuf') {
          this.settings.other[s.name] = s.value;
          changed = true;
        }
      }
    }
    if (changed) this.reconfigure();
    this.deviceActions(actions);
    return undefined;
  }

  tcpInfo(): Record<string, number> | undefined {
    const s = this.current;
    if (s === undefined) return undefined;
    if (s.listener !== undefined) return { tcpi_state: LINUX_STATE.LISTEN };
    const ep = s.ep;
    if (ep === undefined) return { tcpi_state: LINUX_STATE.CLOSED };
    const c = ep.conn;
    const n = c.negotiated;
    return {
      tcpi_state: LINUX_STATE[c.state],
      tcpi_snd_mss: n.mss,
      tcpi_snd_cwnd: Math.floor(c.cwnd / Math.max(1, n.mss)),
      tcpi_snd_ssthresh: c.ssthresh >= 0x7fffffff ? 0x7fffffff : Math.floor(c.ssthresh / Math.max(1, n.mss)),
      tcpi_rto: c.rto,
      tcpi_rtt: c.srtt ?? 0,
      tcpi_snd_wscale: n.sndWscale,
      tcpi_rcv_wscale: n.rcvWscale,
      tcpi_options: (n.tsOk ? 1 : 0) | (n.sackOk ? 2 : 0) | (n.sndWscale > 0 || n.rcvWscale > 0 ? 4 : 0),
      tcpi_total_retrans: c.stats.retransmits,
      // RFC 4898 tcpEStatsAppHCThruOctetsAcked as Linux counts it: an active
      // open counts its acknowledged SYN, a passive one does not.
      tcpi_bytes_acked: Math.max(0, ((c.sndUna - c.iss) >>> 0) - (s.passive ? 1 : 0)),
      tcpi_segs_out: c.stats.segmentsOut,
      tcpi_segs_in: c.stats.segmentsIn,
      tcpi_unacked: (c.sndNxt - c.sndUna) >>> 0,
    };
  }

  // ---- blocking calls ----

  pollSyscall(): (HostSyscallResult & { time: number }) | undefined {
    const c = this.completed;
    this.completed = undefined;
    return c;
  }

  private block(fn: () => HostSyscallResult | undefined, deadline?: number): Outcome {
    const r = fn();
    if (r !== undefined) return r;
    this.pending = { fn };
    if (deadline !== undefined) {
      // A timer so that time stops at the deadline (poll's timeout).
      this.pending.timer = this.clock.setTimer(deadline, () => undefined);
    }
    return 'pending';
  }

  private checkPending(): void {
    const p = this.pending;
    if (p === undefined) return;
    const r = p.fn();
    if (r === undefined) return;
    this.pending = undefined;
    p.timer?.cancel();
    this.completed = { ...r, time: this.clock.now() };
  }

  // ---- system calls ----

  syscall(call: HostSyscall): Outcome {
    try {
      return this.dispatch(call);
    } catch (e) {
      if (isStackError(e)) return fail(e.code);
      throw e;
    }
  }

  private dispatch(call: HostSyscall): Outcome {
    const a = call.args;
    switch (call.name) {
      case 'socket':
        return this.socket(call);
      case 'bind':
        return this.withSock(a[0], (s) => this.bind(s, a[1]));
      case 'listen':
        return this.withSock(a[0], (s) => this.listen(s, evalInt(a[1], this.platform) ?? 1));
      case 'accept':
        return this.withSock(a[0], (s) => this.accept(s, call));
      case 'connect':
        return this.withSock(a[0], (s) => this.connect(s, a[1]));
      case 'read':
        return this.withSock(a[0], (s) => this.read(s, a[1], evalInt(a[2], this.platform), 0));
      case 'readv':
        return this.withSock(a[0], (s) => this.read(s, undefined, iovLength(a[1], this.platform), 0));
      case 'recv':
      case 'recvfrom':
        return this.withSock(a[0], (s) => this.read(s, a[1], evalInt(a[2], this.platform), evalInt(a[3], this.platform) ?? 0));
      case 'write':
        return this.withSock(a[0], (s) => this.write(s, a[1], evalInt(a[2], this.platform), 0));
      case 'writev':
        return this.withSock(a[0], (s) => this.write(s, undefined, iovLength(a[1], this.platform), 0));
      case 'send':
      case 'sendto':
        return this.withSock(a[0], (s) => this.write(s, a[1], evalInt(a[2], this.platform), evalInt(a[3], this.platform) ?? 0));
      case 'close':
        return this.withSock(a[0], (s) => this.close(s));
      case 'shutdown':
        return this.withSock(a[0], (s) => this.shutdown(s, evalInt(a[1], this.platform)));
      case 'setsockopt':
        return this.withSock(a[0], (s) => {
          const r = this.setsockopt(s, a);
          if (r !== 'pending' && r.ret === 0) this.listenerOptionsChanged(s);
          return r;
        });
      case 'getsockopt':
        return this.withSock(a[0], (s) => this.getsockopt(s, a));
      case 'fcntl':
        return this.withSock(a[0], (s) => this.fcntl(s, a));
      case 'ioctl':
        return this.withSock(a[0], (s) => this.ioctl(s, a));
      case 'poll':
        return this.poll(call);
      default:
        return fail('ENOSYS');
    }
  }

  private withSock(fdExpr: Expr | undefined, fn: (s: Sock) => Outcome): Outcome {
    const fd = evalInt(fdExpr, this.platform);
    const s = fd === undefined ? undefined : this.socks.get(fd);
    if (s === undefined) return fail('EBADF');
    return fn(s);
  }

  /** The descriptor for a new socket: the one the script names, else the lowest free one from 3. */
  private newFd(call: HostSyscall): number {
    const want = evalInt(call.result, this.platform);
    if (want !== undefined && want >= 0 && !this.socks.has(want)) return want;
    let fd = 3;
    while (this.socks.has(fd)) fd++;
    return fd;
  }

  private socket(call: HostSyscall): Outcome {
    const [domainE, typeE, protoE] = call.args;
    let family: 4 | 6 = this.family;
    if (domainE !== undefined && domainE.kind !== 'ellipsis') {
      const d = evalInt(domainE, this.platform);
      if (d === symbolValue('AF_INET', this.platform)) family = 4;
      else if (d === symbolValue('AF_INET6', this.platform)) family = 6;
      else return fail('EAFNOSUPPORT');
    }
    const type = evalInt(typeE, this.platform);
    const nonblock = symbolValue('SOCK_NONBLOCK', this.platform)!;
    const cloexec = symbolValue('SOCK_CLOEXEC', this.platform)!;
    if (type === undefined || (type & ~(nonblock | cloexec)) !== symbolValue('SOCK_STREAM', this.platform)) return fail('EPROTONOSUPPORT');
    const proto = protoE === undefined || protoE.kind === 'ellipsis' ? 6 : evalInt(protoE, this.platform);
    if (proto !== 0 && proto !== IPPROTO_TCP) return fail('EPROTONOSUPPORT');
    const fd = this.newFd(call);
    this.socks.set(fd, new Sock(fd, family, (type & nonblock) !== 0));
    return ok(fd);
  }

  /** The address of a sockaddr argument; `...` means `dflt`. */
  private sockaddr(e: Expr | undefined, dfltIp: string, dfltPort: number, s: Sock): { addr: Uint8Array; port: number; unspec?: boolean } | string {
    if (e === undefined || e.kind === 'ellipsis') {
      let addr = parseAddress(dfltIp);
      if (addr === undefined) return 'EINVAL';
      if (s.family === 6 && addr.length === 4) addr = mapV4(addr);
      return { addr, port: dfltPort };
    }
    if (e.kind === 'word' && e.name === 'AF_UNSPEC') return { addr: IPV4_ANY, port: 0, unspec: true };
    if (e.kind !== 'struct') return 'EFAULT';
    const fam = evalInt(field(e.fields, 'sa_family', 'sin_family', 'sin6_family'), this.platform);
    if (fam === symbolValue('AF_UNSPEC', this.platform)) return { addr: IPV4_ANY, port: 0, unspec: true };
    const port = evalInt(field(e.fields, 'sin_port', 'sin6_port'), this.platform) ?? 0;
    const addrE = field(e.fields, 'sin_addr', 'sin6_addr');
    let addr: Uint8Array | undefined;
    if (addrE === undefined || (addrE.kind === 'word' && /^IN6?ADDR_ANY/.test(addrE.name))) addr = s.family === 4 ? IPV4_ANY : IPV6_ANY;
    else {
      const text = exprString(addrE);
      addr = text === undefined ? undefined : parseAddress(text);
    }
    if (addr === undefined) return 'EINVAL';
    if (s.family === 6 && addr.length === 4) addr = mapV4(addr);
    if (s.family === 4 && addr.length === 16) return 'EAFNOSUPPORT';
    return { addr, port };
  }

  private bind(s: Sock, addrE: Expr | undefined): Outcome {
    if (s.bound !== undefined || s.ep !== undefined) return fail('EINVAL');
    const a = this.sockaddr(addrE, this.env!.localIp, this.env!.bindPort, s);
    if (typeof a === 'string') return fail(a);
    const addr = isV4Mapped(a.addr) ? unmapV4(a.addr) : a.addr;
    if (a.port !== 0) {
      for (const o of this.socks.values()) {
        if (o === s || o.bound === undefined || o.bound.port !== a.port) continue;
        const reuse = s.opts.reuseAddr !== 0 && o.opts.reuseAddr !== 0 && o.listener === undefined;
        if (!reuse) return fail('EADDRINUSE');
      }
    }
    s.bound = { addr, port: a.port };
    return ok();
  }

  private listen(s: Sock, backlog: number): Outcome {
    if (s.ep !== undefined) return fail('EINVAL');
    if (s.listener !== undefined) {
      s.listener.backlog = this.backlogFor(backlog);
      return ok();
    }
    const any = s.family === 4 ? IPV4_ANY : IPV6_ANY;
    const l = this.stack!.tcpListen({ addr: s.bound?.addr ?? any, port: s.bound?.port ?? 0, backlog: this.backlogFor(backlog), ipv6Only: false });
    s.listener = l;
    s.bound ??= { addr: l.addr, port: l.port };
    this.listenerOptionsChanged(s);
    this.current = s;
    return ok();
  }

  /**
   * Completed connections a listen backlog admits: Linux takes one more
   * than the backlog (the queue is full only when it exceeds it); FreeBSD
   * takes one and a half times it.
   */
  private backlogFor(backlog: number): number {
    const b = Math.max(0, backlog);
    return this.profile === 'linux' ? b + 1 : Math.max(1, Math.floor((3 * b) / 2) + 1);
  }

  private accept(s: Sock, call: HostSyscall): Outcome {
    const l = s.listener;
    if (l === undefined) return fail('EINVAL');
    return this.block(() => {
      const ep = l.accept();
      if (ep === undefined) return s.nonblocking ? fail('EAGAIN') : undefined;
      const fd = this.newFd(call);
      const child = new Sock(fd, s.family, false);
      Object.assign(child.opts, s.opts, { linger: s.opts.linger === undefined ? undefined : { ...s.opts.linger } });
      child.established = true;
      child.passive = true;
      child.synMss = ep.conn.negotiated.mss;
      this.socks.set(fd, child);
      this.attach(child, ep);
      if (child.opts.noDelay) ep.setNoDelay(true);
      if (child.opts.keepAlive) ep.setKeepAlive(true, child.opts.keepIdle !== undefined ? child.opts.keepIdle * SECOND : undefined);
      return ok(fd);
    });
  }

  private attach(s: Sock, ep: TcpEndpoint): void {
    s.ep = ep;
    this.current = s;
    ep.setHandler((ev) => this.connEvent(s, ev));
  }

  private connEvent(s: Sock, ev: ConnEvent): void {
    switch (ev.type) {
      case 'state':
        if ((ev.to === 'SYN_RECEIVED' || ev.to === 'ESTABLISHED') && s.synMss === undefined && s.ep !== undefined) s.synMss = s.ep.conn.negotiated.mss;
        break;
      case 'established':
        s.established = true;
        break;
      case 'eof':
        s.eof = true;
        break;
      case 'error':
        s.err = ev.code;
        break;
      case 'closed':
        s.dead = true;
        break;
      default:
        break;
    }
  }

  private connect(s: Sock, addrE: Expr | undefined): Outcome {
    if (s.listener !== undefined) return fail(this.profile === 'linux' ? 'EISCONN' : 'EINVAL');
    const a = this.sockaddr(addrE, this.env!.remoteIp, this.env!.connectPort, s);
    if (typeof a === 'string') return fail(a);
    if (a.unspec === true) {
      // connect(AF_UNSPEC) dissolves the association: the connection is aborted.
      if (s.ep !== undefined && !s.dead) s.ep.abort();
      s.ep = undefined;
      s.connecting = s.established = s.eof = s.dead = false;
      return ok();
    }
    if (s.ep !== undefined) {
      if (s.connecting) {
        if (s.established) {
          // The outcome of a non-blocking connect, reported once (Linux);
          // FreeBSD says the socket is already connected.
          s.connecting = false;
          return this.profile === 'linux' ? ok() : fail('EISCONN');
        }
        if (s.dead || s.err !== undefined) {
          s.connecting = false;
          const e = s.err ?? 'ECONNABORTED';
          s.err = undefined;
          return fail(e);
        }
        return s.nonblocking ? fail('EALREADY') : this.waitConnect(s);
      }
      return fail('EISCONN');
    }
    const local = s.bound;
    const overrides = this.connConfig(s);
    const ep = this.stack!.tcpConnect({
      remoteAddr: a.addr,
      remotePort: a.port,
      ...(local !== undefined ? { localAddr: local.addr, localPort: local.port } : {}),
      ...(Object.keys(overrides).length > 0 ? { config: overrides } : {}),
    });
    s.connecting = true;
    this.attach(s, ep);
    if (s.opts.keepAlive) ep.setKeepAlive(true, s.opts.keepIdle !== undefined ? s.opts.keepIdle * SECOND : undefined);
    if (s.nonblocking) return fail('EINPROGRESS');
    return this.waitConnect(s);
  }

  private waitConnect(s: Sock): Outcome {
    return this.block(() => {
      if (s.established) {
        s.connecting = false;
        return ok();
      }
      if (s.dead || s.err !== undefined) {
        s.connecting = false;
        const e = s.err ?? 'ECONNABORTED';
        s.err = undefined;
        return fail(e);
      }
      return undefined;
    });
  }

  /** The pending socket error, reported once (as SO_ERROR and the next failing call do). */
  private takeError(s: Sock): string | undefined {
    const e = s.err;
    s.err = undefined;
    return e;
  }

  private read(s: Sock, buf: Expr | undefined, len: number | undefined, flags: number): Outcome {
    if (len === undefined || len < 0) return fail('EINVAL');
    const peek = (flags & symbolValue('MSG_PEEK', this.platform)!) !== 0;
    const dontWait = (flags & symbolValue('MSG_DONTWAIT', this.platform)!) !== 0;
    const waitAll = (flags & symbolValue('MSG_WAITALL', this.platform)!) !== 0;
    if (s.listener !== undefined) return fail('ENOTCONN');
    const ep = s.ep;
    if (ep === undefined) return fail('ENOTCONN');
    const nonblocking = s.nonblocking || dontWait;
    const attempt = (): HostSyscallResult | undefined => {
      const avail = ep.readableLength;
      const want = waitAll && !nonblocking ? len : Math.max(1, Math.min(s.opts.rcvLowat, len));
      if (len === 0) return ok(0);
      if (avail > 0 && (avail >= want || s.eof || s.dead || s.rdShut)) {
        if (isNull(buf)) return fail('EFAULT');
        const n = Math.min(avail, len);
        if (!peek) ep.read(n);
        return ok(n);
      }
      if (s.err !== undefined) return fail(this.takeError(s)!);
      if (s.eof || s.rdShut) return ok(0);
      if (s.dead) return s.established ? ok(0) : fail('ENOTCONN');
      if (nonblocking) return fail('EAGAIN');
      return undefined;
    };
    return this.block(attempt);
  }

  private write(s: Sock, buf: Expr | undefined, len: number | undefined, flags: number): Outcome {
    if (len === undefined || len < 0) return fail('EINVAL');
    const dontWait = (flags & symbolValue('MSG_DONTWAIT', this.platform)!) !== 0;
    const nonblocking = s.nonblocking || dontWait;
    const ep = s.ep;
    if (ep === undefined || s.listener !== undefined) return fail(this.profile === 'linux' ? 'EPIPE' : 'ENOTCONN');
    let written = 0;
    const attempt = (): HostSyscallResult | undefined => {
      if (s.err !== undefined) return written > 0 ? ok(written) : fail(this.takeError(s)!);
      if (s.wrShut || s.dead) return written > 0 ? ok(written) : fail('EPIPE');
      const state = ep.state;
      if (state === 'SYN_SENT' || state === 'SYN_RECEIVED') return nonblocking ? fail('EAGAIN') : undefined;
      if (state !== 'ESTABLISHED' && state !== 'CLOSE_WAIT') return written > 0 ? ok(written) : fail('EPIPE');
      if (isNull(buf) && len > 0) return fail('EFAULT');
      if (len === 0) return ok(0);
      const room = ep.writableLength;
      if (room > 0) written += ep.send(new Uint8Array(Math.min(room, len - written)));
      if (written === len) return ok(written);
      if (nonblocking) return written > 0 ? ok(written) : fail('EAGAIN');
      return undefined;
    };
    return this.block(attempt);
  }

  private close(s: Sock): Outcome {
    this.socks.delete(s.fd);
    if (s.listener !== undefined) {
      s.listener.close();
      return ok();
    }
    const ep = s.ep;
    if (ep !== undefined && !s.dead) {
      const l = s.opts.linger;
      // SO_LINGER with a zero timeout: an abortive close, RST (RFC 9293 §3.10.5).
      if (l !== undefined && l.onoff !== 0 && l.linger === 0) ep.abort();
      else ep.close();
    }
    ep?.detach();
    return ok();
  }

  private shutdown(s: Sock, how: number | undefined): Outcome {
    if (how === undefined || how < 0 || how > 2) return fail('EINVAL');
    if (s.listener !== undefined) {
      if (how !== 1 && this.profile === 'linux') {
        s.listener.close();
        s.listener = undefined;
        return ok();
      }
      return fail('ENOTCONN');
    }
    const ep = s.ep;
    if (ep === undefined || s.dead) return fail('ENOTCONN');
    if (how === 0 || how === 2) s.rdShut = true;
    if (how === 1 || how === 2) {
      s.wrShut = true;
      ep.shutdown();
    }
    return ok();
  }

  // ---- options ----

  private optionName(level: Expr | undefined, name: Expr | undefined): string | undefined {
    const lv = level?.kind === 'word' ? (level.name === 'SOL_TCP' ? 'IPPROTO_TCP' : level.name) : undefined;
    const nm = name?.kind === 'word' ? name.name : undefined;
    return lv === undefined || nm === undefined ? undefined : `${lv}:${nm}`;
  }

  private setsockopt(s: Sock, a: Expr[]): Outcome {
    const opt = this.optionName(a[1], a[2]);
    const valE = a[3];
    const len = evalInt(a[4], this.platform);
    if (opt === 'SOL_SOCKET:SO_LINGER') {
      if (valE?.kind !== 'struct') return fail('EFAULT');
      const onoff = evalInt(field(valE.fields, 'onoff', 'l_onoff'), this.platform) ?? 0;
      const linger = evalInt(field(valE.fields, 'linger', 'l_linger'), this.platform) ?? 0;
      s.opts.linger = { onoff, linger };
      return ok();
    }
    const v = evalInt(valE, this.platform);
    if (v === undefined) return fail('EFAULT');
    if (len !== undefined && len < 4) return fail('EINVAL');
    const o = s.opts;
    const ep = s.ep;
    switch (opt) {
      case 'SOL_SOCKET:SO_REUSEADDR':
        o.reuseAddr = v;
        return ok();
      case 'SOL_SOCKET:SO_REUSEPORT':
        o.reusePort = v;
        return ok();
      case 'SOL_SOCKET:SO_KEEPALIVE':
        o.keepAlive = v !== 0;
        if (ep !== undefined && !s.dead) ep.setKeepAlive(o.keepAlive, o.keepIdle !== undefined ? o.keepIdle * SECOND : undefined);
        return ok();
      case 'SOL_SOCKET:SO_RCVBUF':
      case 'SOL_SOCKET:SO_SNDBUF': {
        // Linux doubles the value (room for its bookkeeping) and caps it at
        // net.core.[rw]mem_max; FreeBSD keeps it as given.
        const val = this.profile === 'linux' ? 2 * Math.min(Math.max(v, 0), LINUX_CORE_MAX) : v;
        if (this.profile === 'freebsd' && v <= 0) return fail('EINVAL');
        if (opt.endsWith('RCVBUF')) o.rcvBuf = Math.max(val, this.profile === 'linux' ? 2304 : 1);
        else o.sndBuf = Math.max(val, this.profile === 'linux' ? 4608 : 1);
        return ok();
      }
      case 'SOL_SOCKET:SO_RCVLOWAT':
        if (v < 0) return fail('EINVAL');
        o.rcvLowat = Math.max(1, v);
        return ok();
      case 'IPPROTO_TCP:TCP_NODELAY':
        o.noDelay = v !== 0;
        if (ep !== undefined && !s.dead) ep.setNoDelay(o.noDelay);
        return ok();
      case 'IPPROTO_TCP:TCP_MAXSEG':
        if (v < 0 || v > 65535 || (v !== 0 && v < (this.profile === 'linux' ? 88 : 1))) return fail('EINVAL');
        if (v === 0) delete o.maxSeg;
        else o.maxSeg = v;
        return ok();
      case 'IPPROTO_TCP:TCP_KEEPIDLE':
      case 'IPPROTO_TCP:TCP_KEEPINTVL':
        if (v < 1 || v > 32767) return fail('EINVAL');
        if (opt.endsWith('KEEPIDLE')) {
          o.keepIdle = v;
          if (ep !== undefined && !s.dead && o.keepAlive) ep.setKeepAlive(true, v * SECOND);
        } else o.keepIntvl = v;
        return ok();
      case 'IPPROTO_TCP:TCP_KEEPCNT':
        if (v < 1 || v > 127) return fail('EINVAL');
        o.keepCnt = v;
        return ok();
      default:
        return fail('ENOPROTOOPT');
    }
  }

  private getsockopt(s: Sock, a: Expr[]): Outcome {
    const opt = this.optionName(a[1], a[2]);
    const o = s.opts;
    const cfg = this.stack!.tcpConfig;
    let value: number;
    let errName: string | undefined;
    switch (opt) {
      case 'SOL_SOCKET:SO_ERROR':
        errName = this.takeError(s);
        value = errName === undefined ? 0 : (errnoValue(errName, this.platform) ?? -1);
        break;
      case 'SOL_SOCKET:SO_REUSEADDR':
        value = o.reuseAddr;
        break;
      case 'SOL_SOCKET:SO_REUSEPORT':
        value = o.reusePort;
        break;
      case 'SOL_SOCKET:SO_KEEPALIVE':
        value = o.keepAlive ? 1 : 0;
        break;
      case 'SOL_SOCKET:SO_RCVBUF':
        value = this.rcvBufOf(s);
        break;
      case 'SOL_SOCKET:SO_SNDBUF':
        value = o.sndBuf ?? (this.profile === 'linux' ? (this.settings.wmem ?? LINUX_WMEM)[1] : (this.settings.sndBuf ?? FREEBSD_PROFILE.sndBuf));
        break;
      case 'SOL_SOCKET:SO_RCVLOWAT':
        value = o.rcvLowat;
        break;
      case 'IPPROTO_TCP:TCP_NODELAY':
        value = o.noDelay ? 1 : 0;
        break;
      case 'IPPROTO_TCP:TCP_MAXSEG':
        value = this.maxSegOf(s);
        break;
      case 'IPPROTO_TCP:TCP_KEEPIDLE':
        value = o.keepIdle ?? Math.round(cfg.keepaliveIdle / SECOND);
        break;
      case 'IPPROTO_TCP:TCP_KEEPINTVL':
        value = o.keepIntvl ?? Math.round(cfg.keepaliveInterval / SECOND);
        break;
      case 'IPPROTO_TCP:TCP_KEEPCNT':
        value = o.keepCnt ?? cfg.keepaliveProbes;
        break;
      case 'SOL_SOCKET:SO_LINGER': {
        const want = a[3];
        const l = o.linger ?? { onoff: 0, linger: 0 };
        if (want?.kind === 'struct') {
          const eo = evalInt(field(want.fields, 'onoff', 'l_onoff'), this.platform);
          const el = evalInt(field(want.fields, 'linger', 'l_linger'), this.platform);
          if ((eo !== undefined && eo !== l.onoff) || (el !== undefined && el !== l.linger)) {
            return { ret: 0, mismatch: `Bad getsockopt optval: expected: {onoff=${eo ?? '...'}, linger=${el ?? '...'}} actual: {onoff=${l.onoff}, linger=${l.linger}}` };
          }
        }
        return ok();
      }
      default:
        return fail('ENOPROTOOPT');
    }
    const want = a[3];
    if (want?.kind === 'array' && want.elements.length === 1) {
      const w = want.elements[0]!;
      if (w.kind !== 'ellipsis') {
        const expected = evalInt(w, this.platform);
        if (expected === undefined) return { ret: 0, mismatch: `cannot evaluate the expected getsockopt value` };
        if (expected !== value) {
          const actual = errName !== undefined ? `${value} (${errName})` : String(value);
          return { ret: 0, mismatch: `Bad getsockopt optval: expected: ${expected} actual: ${actual}` };
        }
      }
    }
    const lenE = a[4];
    if (lenE?.kind === 'array' && lenE.elements.length === 1) {
      const l = evalInt(lenE.elements[0], this.platform);
      if (l !== undefined && l !== 4) return { ret: 0, mismatch: `Bad getsockopt optlen: expected: ${l} actual: 4` };
    }
    return ok();
  }

  /** SO_RCVBUF as the platform reports it. */
  private rcvBufOf(s: Sock): number {
    if (this.profile === 'linux') return s.opts.rcvBuf ?? (this.settings.rmem ?? LINUX_RMEM)[1];
    const base = s.opts.rcvBuf ?? this.settings.rcvBuf ?? FREEBSD_PROFILE.rcvBuf;
    // FreeBSD rounds the receive buffer up to a multiple of the segment
    // size once the peer's SYN gave one (tcp_mss).
    const mss = s.synMss;
    return mss !== undefined && mss > 0 && base >= mss ? Math.ceil(base / mss) * mss : base;
  }

  private maxSegOf(s: Sock): number {
    const ep = s.ep;
    if (ep !== undefined && s.established) return ep.conn.negotiated.mss;
    if (s.opts.maxSeg !== undefined) return s.opts.maxSeg;
    return this.profile === 'linux' ? LINUX_MSS_DEFAULT : 512;
  }

  private fcntl(s: Sock, a: Expr[]): Outcome {
    const cmd = evalInt(a[1], this.platform);
    const nonblock = symbolValue('O_NONBLOCK', this.platform)!;
    if (cmd === symbolValue('F_GETFL', this.platform)) return ok(symbolValue('O_RDWR', this.platform)! | (s.nonblocking ? nonblock : 0));
    if (cmd === symbolValue('F_SETFL', this.platform)) {
      s.nonblocking = hasFlag(a[2], 'O_NONBLOCK', this.platform);
      return ok();
    }
    return fail('EINVAL');
  }

  private ioctl(s: Sock, a: Expr[]): Outcome {
    const req = a[1]?.kind === 'word' ? a[1].name : undefined;
    let value: number;
    switch (req) {
      case 'SIOCINQ':
      case 'FIONREAD':
        if (s.listener !== undefined) return fail('EINVAL');
        value = s.ep?.readableLength ?? 0;
        break;
      case 'SIOCOUTQ':
      case 'TIOCOUTQ': {
        if (s.listener !== undefined) return fail('EINVAL');
        const ep = s.ep;
        value = ep === undefined || s.dead ? 0 : Math.max(0, ep.conn.writableLength === 0 ? 0 : this.sndCapacity(s) - ep.writableLength);
        break;
      }
      case 'FIONBIO':
        s.nonblocking = (evalInt(a[2], this.platform) ?? 0) !== 0;
        return ok();
      default:
        return fail('ENOTTY');
    }
    const want = a[2];
    if (want?.kind === 'array' && want.elements.length === 1 && want.elements[0]!.kind !== 'ellipsis') {
      const expected = evalInt(want.elements[0], this.platform);
      if (expected !== value) return { ret: 0, mismatch: `Bad ioctl ${req} value: expected: ${expected ?? '?'} actual: ${value}` };
    }
    return ok();
  }

  private sndCapacity(s: Sock): number {
    return s.opts.sndBuf ?? this.stack!.tcpConfig.sndBuf;
  }

  // ---- poll ----

  /** What poll() reports for a socket (Linux tcp_poll's rules; FreeBSD's agree on these cases). */
  private revents(s: Sock, events: number): number {
    const v = (n: string): number => symbolValue(n, this.platform) ?? 0;
    const IN = v('POLLIN') | v('POLLRDNORM');
    const OUT = v('POLLOUT') | v('POLLWRNORM');
    let mask = 0;
    if (s.listener !== undefined) mask = s.listener.acceptQueue.length > 0 ? IN : 0;
    else {
      const ep = s.ep;
      const state = ep === undefined || s.dead ? 'CLOSED' : ep.state;
      const rcvShut = s.rdShut || s.eof || s.dead;
      const sndShut = s.wrShut || s.dead;
      if ((rcvShut && sndShut) || state === 'CLOSED') mask |= v('POLLHUP');
      if (rcvShut && ep !== undefined) mask |= IN | v('POLLRDHUP');
      if (ep !== undefined && state !== 'SYN_SENT' && state !== 'SYN_RECEIVED' && state !== 'CLOSED') {
        if (ep.readableLength >= s.opts.rcvLowat) mask |= IN;
        if (sndShut || ep.writableLength > 0) mask |= OUT;
      }
      if (s.err !== undefined) mask |= v('POLLERR');
    }
    return mask & (events | v('POLLERR') | v('POLLHUP') | v('POLLNVAL'));
  }

  private poll(call: HostSyscall): Outcome {
    const list = call.args[0];
    const timeout = evalInt(call.args[2], this.platform) ?? 0;
    const entries: { fd: number; events: number; expected: number | undefined }[] = [];
    if (list?.kind === 'array') {
      for (const el of list.elements) {
        if (el.kind !== 'struct') return fail('EFAULT');
        const fd = evalInt(field(el.fields, 'fd'), this.platform);
        if (fd === undefined) return fail('EFAULT');
        const re = field(el.fields, 'revents');
        entries.push({ fd, events: evalInt(field(el.fields, 'events'), this.platform) ?? 0, expected: re === undefined || re.kind === 'ellipsis' ? undefined : evalInt(re, this.platform) });
      }
    }
    const check = (final: boolean): HostSyscallResult | undefined => {
      let ready = 0;
      const mismatches: string[] = [];
      for (const e of entries) {
        const s = this.socks.get(e.fd);
        const r = s === undefined ? (symbolValue('POLLNVAL', this.platform) ?? 0) : this.revents(s, e.events);
        if (r !== 0) ready++;
        if (e.expected !== undefined && e.expected !== r) mismatches.push(`fd ${e.fd}: expected revents 0x${e.expected.toString(16)} vs actual 0x${r.toString(16)}`);
      }
      if (ready === 0 && !final) return undefined;
      const res: HostSyscallResult = { ret: ready };
      if (mismatches.length > 0) res.mismatch = `poll: ${mismatches.join('; ')}`;
      return res;
    };
    if (timeout === 0) return check(true)!;
    const deadline = timeout < 0 ? undefined : this.clock.now() + timeout * 1000;
    return this.block(() => check(deadline !== undefined && this.clock.now() >= deadline), deadline);
  }
}

// ---------------------------------------------------------------------------
// Packets: bytes ↔ live packets

function iovLength(e: Expr | undefined, p: Platform): number | undefined {
  if (e?.kind !== 'array') return undefined;
  let n = 0;
  for (const el of e.elements) {
    let len: number | undefined;
    if (el.kind === 'list' && el.elements.length === 2) len = evalInt(el.elements[1], p);
    else if (el.kind === 'struct') len = evalInt(field(el.fields, 'iov_len'), p);
    if (len === undefined) return undefined;
    n += len;
  }
  return n;
}

function liveIp(family: 4 | 6, src: Uint8Array, dst: Uint8Array, tos: number, ttl: number, flowLabel?: number): LiveIp {
  const ip: LiveIp = { family, src: formatAddress(src), dst: formatAddress(dst), tos, ttl };
  if (flowLabel !== undefined) ip.flowLabel = flowLabel;
  return ip;
}

/** What the stack sent, as the runner compares it (undefined: not an IP packet we model). */
export function toLive(packet: Uint8Array, time: number): LivePacket | undefined {
  const version = packet.length > 0 ? packet[0]! >>> 4 : 0;
  let ip: LiveIp;
  let proto: number;
  let payload: Uint8Array;
  if (version === 4) {
    const r = parseIpv4(packet);
    if (!r.ok) return undefined;
    const v = r.value;
    ip = liveIp(4, v.src, v.dst, (v.dscp << 2) | v.ecn, v.ttl);
    proto = v.protocol;
    payload = v.payload;
  } else if (version === 6) {
    const r = parseIpv6(packet);
    if (!r.ok) return undefined;
    const v = r.value;
    ip = liveIp(6, v.src, v.dst, v.trafficClass, v.hopLimit, v.flowLabel);
    proto = v.upperProtocol;
    payload = v.payload;
  } else return undefined;
  if (proto === IPPROTO_TCP) {
    const t = parseTcp(payload);
    if (!t.ok) return undefined;
    const { dataOffset, headerLength: _h, reserved: _r, checksum: _c, ...segment } = t.value;
    return { protocol: 'tcp', time, ip, segment, dataOffset };
  }
  if (proto === IPPROTO_UDP) {
    const u = parseUdp(payload);
    if (!u.ok) return undefined;
    return { protocol: 'udp', time, ip, srcPort: u.value.srcPort, dstPort: u.value.dstPort, payload: u.value.payload };
  }
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) {
    if (proto === IPPROTO_ICMP) {
      const m = parseIcmp(payload);
      if (!m.ok) return undefined;
      const live: LiveIcmp = { protocol: 'icmp', time, ip, type: m.value.type, code: m.value.code };
      const msg = m.value.message;
      if (msg.kind === 'destUnreachable' && msg.code === 4) live.mtu = msg.nextHopMtu;
      if (msg.kind === 'echoRequest' || msg.kind === 'echoReply') live.id = msg.id;
      return live;
    }
    const m = parseIcmpv6(payload);
    if (!m.ok) return undefined;
    const live: LiveIcmp = { protocol: 'icmp', time, ip, type: m.value.type, code: m.value.code };
    const msg = m.value.message;
    if (msg.kind === 'packetTooBig') live.mtu = msg.mtu;
    if (msg.kind === 'echoRequest' || msg.kind === 'echoReply') live.id = msg.id;
    return live;
  }
  return undefined;
}

function addrOf(text: string): Uint8Array | undefined {
  const a = parseAddress(text);
  return a !== undefined && isV4Mapped(a) ? unmapV4(a) : a;
}

/** IP header around an upper-layer message of `len` bytes written by `body` at the offset it is given. */
function ipPacket(ip: LiveIp, protocol: number, len: number, body: (out: Uint8Array, off: number, src: Uint8Array, dst: Uint8Array) => void): Uint8Array | undefined {
  const src = addrOf(ip.src);
  const dst = addrOf(ip.dst);
  if (src === undefined || dst === undefined || src.length !== dst.length) return undefined;
  const hlen = src.length === 4 ? 20 : 40;
  const out = new Uint8Array(hlen + len);
  body(out, hlen, src, dst);
  if (src.length === 4) emitIpv4({ dscp: ip.tos >>> 2, ecn: ip.tos & 3, ttl: ip.ttl, protocol, src, dst, flags: { DF: true } }, len, out, 0);
  else emitIpv6({ trafficClass: ip.tos, flowLabel: ip.flowLabel ?? 0, nextHeader: protocol, hopLimit: ip.ttl, src, dst }, len, out, 0);
  return out;
}

/** The quoted datagram of an inbound ICMP error: the IP and TCP/UDP headers of one of our packets. */
function quoted(p: LiveIcmp): Uint8Array | undefined {
  const q = p.quote;
  if (q === undefined) return new Uint8Array(0);
  // The quoted packet went from us (the ICMP's destination) to the peer.
  const src = addrOf(p.ip.dst);
  const dst = addrOf(p.ip.src);
  if (src === undefined || dst === undefined) return undefined;
  const upper = q.protocol === IPPROTO_TCP ? 20 : 8;
  const hlen = src.length === 4 ? 20 : 40;
  const out = new Uint8Array(hlen + upper);
  const total = upper + q.payloadLength;
  if (src.length === 4) emitIpv4({ ttl: 64, protocol: q.protocol, src, dst, flags: { DF: true } }, Math.min(total, 0xffff - 20), out, 0);
  else emitIpv6({ nextHeader: q.protocol, hopLimit: 64, src, dst }, Math.min(total, 0xffff), out, 0);
  put16(out, hlen, q.srcPort);
  put16(out, hlen + 2, q.dstPort);
  if (q.protocol === IPPROTO_TCP) {
    put32(out, hlen + 4, q.seq >>> 0);
    out[hlen + 12] = 5 << 4;
    out[hlen + 13] = ACK;
  } else put16(out, hlen + 4, total);
  return out;
}

/** A scripted inbound packet as bytes on the wire. */
export function toBytes(p: LivePacket): Uint8Array | undefined {
  if (p.protocol === 'tcp') {
    // After an End of Option List the rest of the option space is padding
    // (RFC 9293 §3.2): the zero bytes the emitter pads with.
    const eol = p.segment.options.findIndex((o) => o.kind === 'eol');
    const seg = eol < 0 ? p.segment : { ...p.segment, options: p.segment.options.slice(0, eol + 1) };
    const len = tcpHeaderLength(seg.options) + seg.payload.length;
    return ipPacket(p.ip, IPPROTO_TCP, len, (out, off, src, dst) => emitTcp(seg, src, dst, out, off));
  }
  if (p.protocol === 'udp') {
    return ipPacket(p.ip, IPPROTO_UDP, 8 + p.payload.length, (out, off, src, dst) => emitUdp({ srcPort: p.srcPort, dstPort: p.dstPort, payload: p.payload }, src, dst, out, off));
  }
  const original = quoted(p);
  if (original === undefined) return undefined;
  if (p.ip.family === 4) {
    let m: IcmpMessage;
    if (p.type === 3) m = { kind: 'destUnreachable', code: p.code, nextHopMtu: p.mtu ?? 0, original };
    else if (p.type === 11) m = { kind: 'timeExceeded', code: p.code, original };
    else if (p.type === 12) m = { kind: 'parameterProblem', code: p.code, pointer: 0, original };
    else if (p.type === 0 || p.type === 8) m = { kind: p.type === 8 ? 'echoRequest' : 'echoReply', id: p.id ?? 0, seq: 0, data: new Uint8Array(0) };
    else m = { kind: 'other', type: p.type, code: p.code, rest: 0, body: original };
    const len = m.kind === 'other' ? 8 + m.body.length : m.kind === 'echoRequest' || m.kind === 'echoReply' ? 8 : 8 + original.length;
    return ipPacket(p.ip, IPPROTO_ICMP, len, (out, off) => emitIcmp(m, out, off));
  }
  let m: Icmpv6Message;
  if (p.type === 1) m = { kind: 'destUnreachable', code: p.code, original };
  else if (p.type === 2) m = { kind: 'packetTooBig', mtu: p.mtu ?? 1280, original };
  else if (p.type === 3) m = { kind: 'timeExceeded', code: p.code, original };
  else if (p.type === 4) m = { kind: 'parameterProblem', code: p.code, pointer: 0, original };
  else if (p.type === 128 || p.type === 129) m = { kind: p.type === 128 ? 'echoRequest' : 'echoReply', id: p.id ?? 0, seq: 0, data: new Uint8Array(0) };
  else m = { kind: 'other', type: p.type, code: p.code, rest: 0, body: original };
  const len = m.kind === 'other' ? 8 + m.body.length : m.kind === 'echoRequest' || m.kind === 'echoReply' ? 8 : 8 + original.length;
  return ipPacket(p.ip, IPPROTO_ICMPV6, len, (out, off, src, dst) => emitIcmpv6(m, src, dst, out, off));
}
