// What a runner needs to run a script: the system calls and socket options
// it uses, the sysctls it sets (mapped onto a typed settings object), its
// tcp_info blocks, the packet features it exercises, and everything the
// runner cannot do, each with a reason — so a run can report
// "unsupported: <reason>" instead of failing.

import type { Event, Expr, PacketSpec, Script, TcpOptionSpec } from './ast.js';
import type { TcpConfig } from '../tcp/config.js';
import { analyzeShell, type ShellAction, type SysctlAssignment } from './shell.js';

/** Environment settings a script asks for, in stack terms (times in µs). */
export interface DrillSettings {
  timestamps?: boolean;
  sack?: boolean;
  windowScaling?: boolean;
  /** Linux tcp_syncookies: 0 never, 1 when the SYN queue overflows, 2 always. */
  syncookies?: 'off' | 'overflow' | 'always';
  finTimeout?: number;
  synRetries?: number;
  synAckRetries?: number;
  keepaliveIdle?: number;
  keepaliveInterval?: number;
  keepaliveProbes?: number;
  /** FreeBSD keepinit: how long a connection may take to establish. */
  connectTimeout?: number;
  /** tcp_rmem / tcp_wmem: min, default, max bytes. */
  rmem?: [number, number, number];
  wmem?: [number, number, number];
  /** FreeBSD recvspace / sendspace: the default buffer sizes. */
  rcvBuf?: number;
  sndBuf?: number;
  delayedAck?: number;
  rtoInitial?: number;
  rtoMin?: number;
  rtoMax?: number;
  /** tcp_ecn / net.inet.tcp.ecn.enable as given. */
  ecn?: number;
  /** tcp_fastopen bit mask as given. */
  fastOpen?: number;
  congestionControl?: string;
  /** `tc qdisc ... limit 0`: every outbound packet is dropped. */
  dropOutbound?: boolean;
  mtu?: number;
  routeAdvmss?: number;
  routeMtu?: number;
  /** Sysctls with no typed equivalent, last value wins. */
  other: Record<string, string>;
}

export interface SysctlUse extends SysctlAssignment {
  /** Where it came from: the init command, a timed shell event, or an environment script it ran. */
  source: 'init' | 'event' | 'file';
  /** When it applies: before the clock starts (the init command and what it runs) or at a timed shell event. */
  origin: 'init' | 'event';
  line: number;
  /** Whether it changed a typed setting. */
  mapped: boolean;
}

export interface SocketOptionUse {
  call: 'setsockopt' | 'getsockopt';
  level: string;
  name: string;
  line: number;
}

export interface Unsupported {
  /** What the runner lacks, e.g. `syscall epoll_wait`, `TCP Fast Open option`. */
  reason: string;
  line: number;
  /** Fatal: the script cannot run meaningfully. Otherwise the runner skips the item and says so. */
  fatal: boolean;
}

export interface DrillFeatures {
  /** System call names with their counts, in order of first use. */
  syscalls: { name: string; count: number }[];
  socketOptions: SocketOptionUse[];
  sysctls: SysctlUse[];
  settings: DrillSettings;
  tcpInfo: { blocks: number; fields: string[] };
  packets: {
    inbound: number;
    outbound: number;
    udp: number;
    icmp: number;
    /** TCP option kinds used, sorted. */
    options: string[];
    ecn: boolean;
    ipInfo: boolean;
    anyOptions: boolean;
  };
  shellCommands: number;
  blockingCalls: number;
  unsupported: Unsupported[];
  /** `runnable`: nothing missing; `skips`: runs with skipped items; `unsupported`: a fatal gap. */
  verdict: 'runnable' | 'skips' | 'unsupported';
}

/** What a runner (with its stack) can do. */
export interface DrillCapabilities {
  syscalls: ReadonlySet<string>;
  /** `LEVEL:NAME`, with SOL_TCP written as IPPROTO_TCP. */
  socketOptions: ReadonlySet<string>;
  /** Whether `%{ }%` tcp_info assertions are evaluated. */
  codeBlocks: boolean;
  /** Classic ECN (RFC 3168): ECE/CWR flags and IP ECN codepoints. */
  ecn: boolean;
  /** Accurate ECN (the AE flag, the ACE counter, the AccECN option). */
  accecn: boolean;
  fastOpen: boolean;
  md5: boolean;
  udp: boolean;
  /**
   * Why a sysctl setting asks for behaviour the stack does not have (RFC 793
   * resets, SYN cookies only...), or undefined when it can run with it. Such
   * settings are listed as skipped items: the script runs without them.
   */
  sysctl?(name: string, value: string): string | undefined;
}

/** Settings whose non-default values ask for behaviour the synack stack does not have. */
const UNSUPPORTED_SYSCTLS: Record<string, { ok: (v: string) => boolean; why: string }> = {
  'net.inet.tcp.insecure_rst': { ok: (v) => v === '0', why: 'RFC 793 RST processing (the stack follows RFC 5961 §3)' },
  'net.inet.tcp.insecure_syn': { ok: (v) => v === '0', why: 'RFC 793 SYN processing (the stack follows RFC 5961 §4)' },
  'net.inet.tcp.blackhole': { ok: (v) => v === '0', why: 'no RST for closed ports (blackhole) is not a stack setting' },
  'net.inet.tcp.drop_synfin': { ok: (v) => v === '0', why: 'dropping SYN+FIN segments is not a stack setting' },
  'net.inet.tcp.rexmit_drop_options': { ok: (v) => v === '0', why: 'SYN retransmissions without options are not a stack setting' },
  'net.inet.tcp.icmp_may_rst': { ok: (v) => v !== '0', why: 'ICMP errors always abort a connection attempt (RFC 5461)' },
  'net.inet.tcp.tolerate_missing_ts': { ok: (v) => v !== '0', why: 'dropping segments without timestamps is not a stack setting' },
  'net.ipv4.tcp_congestion_control': { ok: (v) => CONGESTION_CONTROL[v] !== undefined, why: 'the stack has NewReno and CUBIC only' },
  'net.inet.tcp.cc.algorithm': { ok: (v) => CONGESTION_CONTROL[v] !== undefined, why: 'the stack has NewReno and CUBIC only' },
};

/** Congestion control names (Linux tcp_congestion_control, FreeBSD net.inet.tcp.cc.algorithm) the stack has. */
const CONGESTION_CONTROL: Record<string, 'newreno' | 'cubic'> = { reno: 'newreno', newreno: 'newreno', cubic: 'cubic' };

function stackSysctl(name: string, value: string): string | undefined {
  const u = UNSUPPORTED_SYSCTLS[name];
  return u === undefined || u.ok(value.trim()) ? undefined : u.why;
}

/**
 * The portable socket API the stack-backed runner offers. TCP_CORK and
 * TCP_USER_TIMEOUT are not here: the stack has neither, and a script that
 * relies on them cannot pass for the right reason.
 */
export const DEFAULT_CAPABILITIES: DrillCapabilities = {
  syscalls: new Set([
    'socket', 'bind', 'listen', 'accept', 'connect', 'read', 'write', 'readv', 'writev', 'send', 'recv',
    'sendto', 'recvfrom', 'close', 'shutdown', 'setsockopt', 'getsockopt', 'fcntl', 'poll', 'ioctl',
  ]),
  socketOptions: new Set([
    'SOL_SOCKET:SO_REUSEADDR', 'SOL_SOCKET:SO_REUSEPORT', 'SOL_SOCKET:SO_KEEPALIVE', 'SOL_SOCKET:SO_LINGER',
    'SOL_SOCKET:SO_RCVBUF', 'SOL_SOCKET:SO_SNDBUF', 'SOL_SOCKET:SO_ERROR', 'SOL_SOCKET:SO_RCVLOWAT',
    'IPPROTO_TCP:TCP_NODELAY', 'IPPROTO_TCP:TCP_MAXSEG', 'IPPROTO_TCP:TCP_KEEPIDLE', 'IPPROTO_TCP:TCP_KEEPINTVL',
    'IPPROTO_TCP:TCP_KEEPCNT',
  ]),
  codeBlocks: false,
  ecn: false,
  accecn: false,
  fastOpen: false,
  md5: false,
  udp: false,
  sysctl: stackSysctl,
};

export interface FeatureOptions {
  capabilities?: DrillCapabilities;
  /**
   * Text of a file a shell command runs (`../common/defaults.sh`), so its
   * sysctls count; undefined when it cannot be found.
   */
  readShellFile?: (path: string) => string | undefined;
}

const SECOND = 1_000_000;
const MS = 1_000;

/** Apply one sysctl to the settings; false when it has no typed meaning. */
export function applySysctl(s: DrillSettings, name: string, value: string): boolean {
  const n = Number(value.trim());
  const int = Number.isInteger(n) ? n : undefined;
  const triple = (): [number, number, number] | undefined => {
    const parts = value.trim().split(/\s+/).map(Number);
    return parts.length === 3 && parts.every(Number.isInteger) ? [parts[0]!, parts[1]!, parts[2]!] : undefined;
  };
  const linux = /^net\.ipv4\.(tcp_[a-z0-9_]+)$/.exec(name)?.[1];
  const bsd = /^net\.inet\.tcp\.([a-z0-9_.]+)$/.exec(name)?.[1];
  if (linux !== undefined) {
    switch (linux) {
      case 'tcp_timestamps':
        if (int === undefined) return false;
        s.timestamps = int !== 0;
        return true;
      case 'tcp_sack':
        if (int === undefined) return false;
        s.sack = int !== 0;
        return true;
      case 'tcp_window_scaling':
        if (int === undefined) return false;
        s.windowScaling = int !== 0;
        return true;
      case 'tcp_syncookies':
        if (int === undefined || int < 0 || int > 2) return false;
        s.syncookies = int === 0 ? 'off' : int === 1 ? 'overflow' : 'always';
        return true;
      case 'tcp_fin_timeout':
        if (int === undefined) return false;
        s.finTimeout = int * SECOND;
        return true;
      case 'tcp_syn_retries':
        if (int === undefined) return false;
        s.synRetries = int;
        return true;
      case 'tcp_synack_retries':
        if (int === undefined) return false;
        s.synAckRetries = int;
        return true;
      case 'tcp_keepalive_time':
        if (int === undefined) return false;
        s.keepaliveIdle = int * SECOND;
        return true;
      case 'tcp_keepalive_intvl':
        if (int === undefined) return false;
        s.keepaliveInterval = int * SECOND;
        return true;
      case 'tcp_keepalive_probes':
        if (int === undefined) return false;
        s.keepaliveProbes = int;
        return true;
      case 'tcp_rmem':
      case 'tcp_wmem': {
        const t = triple();
        if (t === undefined) return false;
        if (linux === 'tcp_rmem') s.rmem = t;
        else s.wmem = t;
        return true;
      }
      case 'tcp_ecn':
        if (int === undefined) return false;
        s.ecn = int;
        return true;
      case 'tcp_fastopen':
        if (!Number.isInteger(n)) return false;
        s.fastOpen = n;
        return true;
      case 'tcp_rto_max_ms':
        if (int === undefined) return false;
        s.rtoMax = int * MS;
        return true;
      case 'tcp_rto_min_us':
        if (int === undefined) return false;
        s.rtoMin = int;
        return true;
      case 'tcp_congestion_control':
        s.congestionControl = value.trim();
        return true;
      default:
        return false;
    }
  }
  if (bsd !== undefined) {
    switch (bsd) {
      // 1: timestamps and window scaling; 2: window scaling only; 3: timestamps only.
      case 'rfc1323':
        if (int === undefined || int < 0 || int > 3) return false;
        s.timestamps = int === 1 || int === 3;
        s.windowScaling = int === 1 || int === 2;
        return true;
      case 'sack.enable':
        if (int === undefined) return false;
        s.sack = int !== 0;
        return true;
      case 'syncookies':
        if (int === undefined) return false;
        if (s.syncookies !== 'always') s.syncookies = int === 0 ? 'off' : 'overflow';
        return true;
      case 'syncookies_only':
        if (int === undefined) return false;
        if (int !== 0) s.syncookies = 'always';
        else if (s.syncookies === 'always') s.syncookies = 'overflow';
        return true;
      case 'keepidle':
        if (int === undefined) return false;
        s.keepaliveIdle = int * MS;
        return true;
      case 'keepintvl':
        if (int === undefined) return false;
        s.keepaliveInterval = int * MS;
        return true;
      case 'keepcnt':
        if (int === undefined) return false;
        s.keepaliveProbes = int;
        return true;
      case 'keepinit':
        if (int === undefined) return false;
        s.connectTimeout = int * MS;
        return true;
      case 'recvspace':
        if (int === undefined) return false;
        s.rcvBuf = int;
        return true;
      case 'sendspace':
        if (int === undefined) return false;
        s.sndBuf = int;
        return true;
      case 'delacktime':
        if (int === undefined) return false;
        s.delayedAck = int * MS;
        return true;
      case 'rexmit_initial':
        if (int === undefined) return false;
        s.rtoInitial = int * MS;
        return true;
      case 'rexmit_min':
        if (int === undefined) return false;
        s.rtoMin = int * MS;
        return true;
      case 'finwait2_timeout':
        if (int === undefined) return false;
        s.finTimeout = int * MS;
        return true;
      case 'cc.algorithm':
        s.congestionControl = value.trim();
        return true;
      case 'ecn.enable':
        if (int === undefined) return false;
        s.ecn = int;
        return true;
      default:
        return false;
    }
  }
  return false;
}

/** The TcpConfig fields the settings determine (to spread over a profile). */
export function settingsToTcpConfig(s: DrillSettings): Partial<TcpConfig> {
  const c: Partial<TcpConfig> = {};
  if (s.timestamps !== undefined) c.timestamps = s.timestamps;
  if (s.sack !== undefined) c.sack = s.sack;
  if (s.windowScaling !== undefined) c.windowScaling = s.windowScaling;
  if (s.synRetries !== undefined) c.synRetries = s.synRetries;
  if (s.synAckRetries !== undefined) c.synAckRetries = s.synAckRetries;
  if (s.finTimeout !== undefined) c.finTimeout = s.finTimeout;
  if (s.keepaliveIdle !== undefined) c.keepaliveIdle = s.keepaliveIdle;
  if (s.keepaliveInterval !== undefined) c.keepaliveInterval = s.keepaliveInterval;
  if (s.keepaliveProbes !== undefined) c.keepaliveProbes = s.keepaliveProbes;
  const rcv = s.rcvBuf ?? s.rmem?.[1];
  if (rcv !== undefined) c.rcvBuf = rcv;
  const snd = s.sndBuf ?? s.wmem?.[1];
  if (snd !== undefined) c.sndBuf = snd;
  if (s.delayedAck !== undefined) c.delayedAck = s.delayedAck;
  if (s.rtoInitial !== undefined) c.rtoInitial = s.rtoInitial;
  if (s.rtoMin !== undefined) c.rtoMin = s.rtoMin;
  if (s.rtoMax !== undefined) c.rtoMax = s.rtoMax;
  if (s.syncookies !== undefined) c.synCookies = s.syncookies === 'overflow' ? 'on-overflow' : s.syncookies;
  const cc = s.congestionControl === undefined ? undefined : CONGESTION_CONTROL[s.congestionControl];
  if (cc !== undefined) c.congestionControl = cc;
  // Linux tcp_ecn and FreeBSD ecn.enable agree on 0-2: off, ask and accept, accept only.
  if (s.ecn === 0) c.ecn = 'off';
  else if (s.ecn === 1) c.ecn = 'on';
  else if (s.ecn === 2) c.ecn = 'accept';
  return c;
}

function wordOf(e: Expr | undefined): string | undefined {
  return e?.kind === 'word' ? e.name : undefined;
}

function optionName(o: TcpOptionSpec): string {
  return o.kind === 'fastOpen' ? (o.experimental ? 'FOEXP' : 'FO') : o.kind;
}

/** The features of a parsed script. */
export function extractFeatures(script: Script, opts: FeatureOptions = {}): DrillFeatures {
  const caps = opts.capabilities ?? DEFAULT_CAPABILITIES;
  const unsupported: Unsupported[] = [];
  const gap = (reason: string, line: number, fatal: boolean): void => {
    if (!unsupported.some((u) => u.reason === reason)) unsupported.push({ reason, line, fatal });
  };
  const settings: DrillSettings = { other: {} };
  const sysctls: SysctlUse[] = [];
  const syscalls = new Map<string, number>();
  const socketOptions: SocketOptionUse[] = [];
  const tcpiFields = new Set<string>();
  const optionKinds = new Set<string>();
  const packets = { inbound: 0, outbound: 0, udp: 0, icmp: 0, options: [] as string[], ecn: false, ipInfo: false, anyOptions: false };
  let codeBlocks = 0;
  let shellCommands = 0;
  let blockingCalls = 0;

  for (const o of script.options) {
    if (o.name === 'udp_encapsulation') gap('TCP over UDP encapsulation (--udp_encapsulation)', o.loc.line, true);
    if (o.name === 'tcp_md5_secret' && !caps.md5) gap('TCP-MD5 signatures (--tcp_md5_secret)', o.loc.line, true);
    if (o.name.startsWith('wire_') || o.name === 'so_filename') gap(`option --${o.name} (remote or shared-object packetdrill modes)`, o.loc.line, true);
  }

  const shell = (text: string, source: 'init' | 'event', line: number, depth: number): void => {
    shellCommands++;
    for (const a of analyzeShell(text)) act(a, source, source, line, depth);
  };
  const act = (a: ShellAction, source: 'init' | 'event' | 'file', origin: 'init' | 'event', line: number, depth: number): void => {
    switch (a.kind) {
      case 'sysctl':
        for (const x of a.assignments) {
          const why = caps.sysctl?.(x.name, x.value);
          // Not fatal: where the stack's behaviour coincides the script still passes; where not, it fails on the packet that differs.
          if (why !== undefined) gap(`sysctl ${x.name}=${x.value} not honoured: ${why}`, line, false);
          const mapped = applySysctl(settings, x.name, x.value);
          if (!mapped) settings.other[x.name] = x.value;
          sysctls.push({ ...x, source, origin, line, mapped });
        }
        break;
      case 'qdisc':
        settings.dropOutbound = a.limit === 0;
        break;
      case 'mtu':
        settings.mtu = a.mtu;
        break;
      case 'route':
        if (a.advmss !== undefined) settings.routeAdvmss = a.advmss;
        if (a.mtu !== undefined) settings.routeMtu = a.mtu;
        break;
      case 'script': {
        const text = depth < 3 ? opts.readShellFile?.(a.path) : undefined;
        if (text === undefined) gap(`environment script ${a.path} not read (its settings are unknown)`, line, false);
        else for (const b of analyzeShell(text)) act(b, 'file', origin, line, depth + 1);
        break;
      }
      case 'harmless':
        break;
      case 'check':
        gap(`shell check \`${a.command}\` (kernel state is not inspected)`, line, false);
        break;
      case 'state':
        gap(`shell command \`${a.command}\` changes kernel state`, line, true);
        break;
      case 'unknown':
        gap(`shell command \`${a.command}\``, line, false);
        break;
    }
  };

  if (script.initCommand !== undefined) shell(script.initCommand.text, 'init', script.initCommand.loc.line, 0);

  const visitExpr = (e: Expr, f: (e: Expr) => void): void => {
    f(e);
    switch (e.kind) {
      case 'or':
        visitExpr(e.lhs, f);
        visitExpr(e.rhs, f);
        break;
      case 'assign':
        if (e.arg !== undefined) visitExpr(e.arg, f);
        visitExpr(e.value, f);
        break;
      case 'array':
      case 'list':
        for (const x of e.elements) visitExpr(x, f);
        break;
      case 'struct':
        for (const x of e.fields) visitExpr(x.value, f);
        break;
      case 'call':
        for (const x of e.args) visitExpr(x, f);
        break;
      default:
        break;
    }
  };

  const packet = (p: PacketSpec, line: number): void => {
    if (p.direction === 'inbound') packets.inbound++;
    else packets.outbound++;
    if (p.ip.ecn !== undefined || p.ip.tos !== undefined || p.ip.flowLabel !== undefined || p.ip.ttl !== undefined) packets.ipInfo = true;
    if (p.ip.ecn !== undefined && p.ip.ecn !== 'noecn' && !caps.ecn) gap('ECN codepoints in the IP header', line, true);
    for (const o of p.outer) gap(`${o.kind} encapsulation`, line, true);
    if (p.protocol === 'udp') {
      packets.udp++;
      if (!caps.udp) gap('UDP packets', line, true);
      return;
    }
    if (p.protocol === 'icmp') {
      packets.icmp++;
      return;
    }
    if (p.psp !== undefined) gap('PSP encapsulation', line, true);
    if (p.udpEncap !== undefined) gap('TCP over UDP encapsulation (/udp)', line, true);
    if ((p.flags & 0x1c0) !== 0 || p.ace !== undefined) {
      packets.ecn = true;
      if ((p.flags & 0x100) !== 0 || p.ace !== undefined) {
        if (!caps.accecn) gap(p.ace !== undefined ? 'AccECN (ACE counter in the flags)' : 'AccECN (the AE flag)', line, true);
      } else if (!caps.ecn) gap('ECN flags (E/W)', line, true);
    }
    if (p.options === 'any') {
      packets.anyOptions = true;
      return;
    }
    for (const o of p.options) {
      optionKinds.add(optionName(o));
      if (o.kind === 'fastOpen' && !caps.fastOpen) gap('TCP Fast Open option', line, true);
      if (o.kind === 'md5' && !caps.md5) gap('TCP-MD5 signature option', line, true);
      if (o.kind === 'accecn' && !caps.accecn) gap('AccECN option', line, true);
    }
  };

  for (const ev of script.events as Event[]) {
    const line = ev.loc.line;
    switch (ev.kind) {
      case 'packet':
        packet(ev.packet, line);
        break;
      case 'shell':
        shell(ev.command.text, 'event', line, 0);
        break;
      case 'code':
        codeBlocks++;
        for (const m of ev.code.matchAll(/\btcpi_[a-z0-9_]+/g)) tcpiFields.add(m[0]);
        if (!caps.codeBlocks) gap('%{ }% tcp_info assertions (not evaluated)', line, false);
        break;
      case 'syscall': {
        const c = ev.call;
        syscalls.set(c.name, (syscalls.get(c.name) ?? 0) + 1);
        if (c.blockingEnd !== undefined) blockingCalls++;
        if (!caps.syscalls.has(c.name)) gap(`syscall ${c.name}`, line, true);
        if (c.name === 'setsockopt' || c.name === 'getsockopt') {
          const rawLevel = wordOf(c.args[1]) ?? '?';
          const level = rawLevel === 'SOL_TCP' ? 'IPPROTO_TCP' : rawLevel;
          const name = wordOf(c.args[2]) ?? '?';
          socketOptions.push({ call: c.name, level, name, line });
          if (!caps.socketOptions.has(`${level}:${name}`)) gap(`socket option ${level}:${name}`, line, true);
        }
        for (const a of c.args) {
          visitExpr(a, (e) => {
            if (e.kind === 'word' && /^MSG_(ZEROCOPY|ERRQUEUE|FASTOPEN)$/.test(e.name)) gap(`flag ${e.name}`, line, true);
          });
        }
        break;
      }
    }
  }

  packets.options = [...optionKinds].sort();
  const fatal = unsupported.some((u) => u.fatal);
  return {
    syscalls: [...syscalls].map(([name, count]) => ({ name, count })),
    socketOptions,
    sysctls,
    settings,
    tcpInfo: { blocks: codeBlocks, fields: [...tcpiFields].sort() },
    packets,
    shellCommands,
    blockingCalls,
    unsupported,
    verdict: fatal ? 'unsupported' : unsupported.length > 0 ? 'skips' : 'runnable',
  };
}

/** A few lines a person can read: what the script uses and what is missing. */
export function formatFeatures(file: string, f: DrillFeatures): string {
  const out: string[] = [];
  out.push(`${file}: ${f.verdict}`);
  out.push(`  syscalls: ${f.syscalls.map((s) => (s.count > 1 ? `${s.name}×${s.count}` : s.name)).join(' ') || '-'}`);
  const so = [...new Set(f.socketOptions.map((o) => `${o.level}:${o.name}`))];
  if (so.length > 0) out.push(`  socket options: ${so.join(' ')}`);
  const p = f.packets;
  out.push(
    `  packets: ${p.inbound} in, ${p.outbound} out${p.udp > 0 ? `, ${p.udp} udp` : ''}${p.icmp > 0 ? `, ${p.icmp} icmp` : ''}; options: ${p.options.join(',') || '-'}${p.anyOptions ? ' (+<...>)' : ''}`,
  );
  const typed = Object.entries(f.settings)
    .filter(([k, v]) => k !== 'other' && v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('/') : String(v)}`);
  if (typed.length > 0) out.push(`  settings: ${typed.join(' ')}`);
  const other = Object.entries(f.settings.other).map(([k, v]) => `${k}=${v}`);
  if (other.length > 0) out.push(`  other sysctls: ${other.join(' ')}`);
  if (f.tcpInfo.blocks > 0) out.push(`  tcp_info: ${f.tcpInfo.blocks} block(s): ${f.tcpInfo.fields.join(' ')}`);
  for (const u of f.unsupported) out.push(`  ${u.fatal ? 'unsupported' : 'skipped'}: ${u.reason} (line ${u.line})`);
  return out.join('\n') + '\n';
}
