// The typed syntax tree of a packetdrill script (see the language notes in
// GRAMMAR.md of the shared conformance material). Times are microseconds;
// sequence numbers are the script's (relative) values, not live ones.

/** A place in a script: 1-based line and column. */
export interface Loc {
  line: number;
  column: number;
}

/** What kind of stage rejected a script. */
export type ParseErrorKind = 'lex' | 'preprocess' | 'syntax' | 'semantic' | 'internal';

/** A parse failure: where, what stage, and a precise message. */
export interface DrillParseError {
  kind: ParseErrorKind;
  file: string;
  line: number;
  column: number;
  message: string;
}

/** `file:line:column: message`, the way compilers report. */
export function formatParseError(e: DrillParseError): string {
  return `${e.file}:${e.line}:${e.column}: ${e.message}`;
}

export type ParseResult = { ok: true; script: Script } | { ok: false; error: DrillParseError };

/** A whole script. */
export interface Script {
  file: string;
  /** `--name=value` header lines, in order. */
  options: ScriptOption[];
  /** A back-quoted command before the first event (runs before the clock starts). */
  initCommand?: ShellCommand;
  events: Event[];
  /** A back-quoted command after the last event (always runs at the end). */
  cleanupCommand?: ShellCommand;
}

export interface ScriptOption {
  name: string;
  /** The text after `=`, or undefined for a bare flag (`--strict_segments`). */
  value?: string;
  loc: Loc;
}

/** A back-quoted shell command; `text` is what lies between the back quotes. */
export interface ShellCommand {
  text: string;
  loc: Loc;
}

// ---------------------------------------------------------------------------
// Time

/**
 * When an event happens. `*` and ranges are only allowed on outbound packets.
 * Relative times are offsets from the base the runner computes (the actual
 * time the previous event completed, or the previous inbound packet's
 * scheduled time when both are inbound packets).
 */
export type TimeSpec =
  | { kind: 'absolute'; usecs: number }
  | { kind: 'relative'; usecs: number }
  | { kind: 'any' }
  | { kind: 'absoluteRange'; start: number; end: number }
  | { kind: 'relativeRange'; start: number; end: number };

// ---------------------------------------------------------------------------
// Events

export type Event = PacketEvent | SyscallEvent | ShellEvent | CodeEvent;

interface EventBase {
  /** Where the event's time spec starts (packetdrill reports this line). */
  loc: Loc;
  time: TimeSpec;
}

export interface PacketEvent extends EventBase {
  kind: 'packet';
  packet: PacketSpec;
}

export interface SyscallEvent extends EventBase {
  kind: 'syscall';
  call: Syscall;
}

/** A back-quoted shell command at a point in time. */
export interface ShellEvent extends EventBase {
  kind: 'shell';
  command: ShellCommand;
}

/** A `%{ ... }%` block (Python in packetdrill), kept as opaque text with blanks trimmed. */
export interface CodeEvent extends EventBase {
  kind: 'code';
  code: string;
}

// ---------------------------------------------------------------------------
// Packets

export type Direction = 'inbound' | 'outbound';

/** IP-level fields a packet line may set (inbound) or check (outbound). */
export interface IpInfo {
  /** ECN codepoint; `ect01` (outbound only) accepts either ECT(0) or ECT(1). */
  ecn?: 'noecn' | 'ect0' | 'ect1' | 'ce' | 'ect01';
  /** The whole IPv4 TOS / IPv6 traffic-class byte (`tos 0x..`, `class 0x..`). */
  tos?: number;
  flowLabel?: number;
  /** IPv4 TTL or IPv6 hop limit (`ttl N`, `hlim N`). */
  ttl?: number;
}

/** An outer header written before the transport packet (`ipv4 A > B:`, `gre ...:`, `mpls ...:`). */
export type OuterHeader =
  | { kind: 'ipv4' | 'ipv6'; ip: IpInfo; src: string; dst: string }
  | { kind: 'gre'; fields: GreFields }
  | { kind: 'mpls'; labels: MplsEntry[] };

export interface GreFields {
  flags: number;
  sum?: number;
  off?: number;
  key?: number;
  seq?: number;
}

export interface MplsEntry {
  label: number;
  tc: number;
  bottom: boolean;
  ttl: number;
}

/**
 * A TCP sequence spec `start:end(len)`. `relative` is the normal form;
 * `absolute` (`start:end(len)!`, nplab dialect) is injected/compared
 * verbatim; `any` (`...(len)`, nplab dialect) does not check the start.
 */
export type SeqSpec =
  | { kind: 'relative' | 'absolute'; start: number; end: number; length: number }
  | { kind: 'any'; length: number };

export interface TcpPacketSpec {
  protocol: 'tcp';
  direction: Direction;
  outer: OuterHeader[];
  ip: IpInfo;
  /** `encap psp spi N` */
  psp?: { spi: number };
  /** `sport > dport` when given (otherwise the socket under test's ports). */
  ports?: { src: number; dst: number };
  /** Flag bits (tcp-types constants); ACK only from `.`. */
  flags: number;
  /** The flags as written (`S.`, `F.`, `.`, `-`...). */
  flagsText: string;
  /** AccECN ACE counter given as a digit in the flags. */
  ace?: number;
  seq: SeqSpec;
  /** `ack N`; undefined when absent (the field is then 0). */
  ack?: number;
  /** `win N` (raw 16-bit value); undefined: not checked on outbound (mandatory inbound). */
  window?: number;
  /** `urg N`; undefined means 0. */
  urg?: number;
  /** The option list; `'any'` for `<...>`; `[]` when omitted (exactly no options). */
  options: TcpOptionSpec[] | 'any';
  /** nplab dialect: `/udp(sport > dport)` UDP encapsulation of the segment. */
  udpEncap?: { src: number; dst: number };
}

export interface UdpPacketSpec {
  protocol: 'udp';
  direction: Direction;
  outer: OuterHeader[];
  ip: IpInfo;
  ports?: { src: number; dst: number };
  /** Payload bytes. */
  length: number;
}

/** What an ICMP error quotes (packetdrill's "echoed" packet). */
export type IcmpEchoed =
  | { protocol: 'tcp'; seq: SeqSpec }
  | { protocol: 'udp'; length: number }
  | { protocol: 'raw'; length: number };

export interface IcmpPacketSpec {
  protocol: 'icmp';
  direction: Direction;
  outer: OuterHeader[];
  ip: IpInfo;
  /** Type and code names as written (`unreachable`, `frag_needed`, `packet_too_big`...). */
  type: string;
  code?: string;
  mtu?: number;
  id?: number;
  /** The quoted packet; a TCP header with seq 0 when omitted. */
  echoed: IcmpEchoed;
}

export type PacketSpec = TcpPacketSpec | UdpPacketSpec | IcmpPacketSpec;

/** One TCP option as written in `<...>`. */
export type TcpOptionSpec =
  | { kind: 'nop' }
  | { kind: 'eol' }
  | { kind: 'mss'; mss: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackOK' }
  | { kind: 'sack'; blocks: { left: number; right: number }[] }
  /**
   * `TS val V ecr E`. `val` is undefined for `TS val ...` (nplab: unchecked);
   * `ecrAbsolute` marks `ecr E!` (nplab: sent verbatim).
   */
  | { kind: 'timestamp'; val?: number; ecr: number; ecrAbsolute: boolean }
  /** `md5 HEX` (16 bytes) or nplab's `md5 valid` (a correct signature). */
  | { kind: 'md5'; digest: Uint8Array | 'valid' }
  /** `FO [cookie]` (kind 34) or `FOEXP [cookie]` (kind 254, magic 0xF989). */
  | { kind: 'fastOpen'; experimental: boolean; cookie: Uint8Array }
  /** AccECN option: the byte counters in the order written. */
  | { kind: 'accecn'; fields: { name: 'e0b' | 'ceb' | 'e1b'; value: number }[] };

/** On-wire length of an option (what the multiple-of-4 rule counts). */
export function optionLength(o: TcpOptionSpec): number {
  switch (o.kind) {
    case 'nop':
    case 'eol':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOK':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamp':
      return 10;
    case 'md5':
      return 18;
    case 'fastOpen':
      return (o.experimental ? 4 : 2) + o.cookie.length;
    case 'accecn':
      return 2 + 3 * o.fields.length;
  }
}

// ---------------------------------------------------------------------------
// System calls

export interface Syscall {
  name: string;
  args: Expr[];
  /** The expected return value expression (`= 0`, `= -1`, `= 3`). */
  result: Expr;
  /** `EINPROGRESS (Operation now in progress)`: the errno name and its note. */
  errno?: { name: string; note: string };
  /** A parenthesised note after the result with no errno (`= 0x2 (flags O_RDWR)`). */
  note?: string;
  /**
   * For a blocking call `+D...E name(...)`: E in µs, on the same base as the
   * start time (not relative to the start).
   */
  blockingEnd?: number;
}

/** An argument or result expression. */
export type Expr =
  | { kind: 'ellipsis'; loc: Loc }
  /** Decimal or `0x` integer; `text` keeps the spelling (values above 2^53 stay exact there). */
  | { kind: 'int'; value: number; text: string; hex: boolean; loc: Loc }
  | { kind: 'word'; name: string; loc: Loc }
  /** `"..."` (adjacent strings concatenated); `ellipsis` marks `"abc"...`. Raw text, escapes not interpreted. */
  | { kind: 'string'; value: string; ellipsis: boolean; loc: Loc }
  | { kind: 'or'; lhs: Expr; rhs: Expr; loc: Loc }
  /** `name=value`, or `name(arg)=value` (`msg_iov(1)=[...]`). */
  | { kind: 'assign'; name: string; arg?: Expr; value: Expr; loc: Loc }
  /** `[a, b]`: an array; `[v]` is a pointer to one int for sockopts. */
  | { kind: 'array'; elements: Expr[]; loc: Loc }
  /** `{a, b}` without field names (e.g. an iovec `{..., 1000}`). */
  | { kind: 'list'; elements: Expr[]; loc: Loc }
  /** `{name=value, ...}` with its shape recognised from the field names. */
  | { kind: 'struct'; shape: StructShape; fields: StructField[]; loc: Loc }
  /** `htons(8080)`, `inet_addr("1.2.3.4")`, `inet6_addr("::1")` and other calls. */
  | { kind: 'call'; name: string; args: Expr[]; loc: Loc };

export interface StructField {
  name: string;
  /** For `msg_name(...)=` / `msg_iov(1)=`. */
  arg?: Expr;
  value: Expr;
}

/** Which C structure a `{...}` with named fields stands for. */
export type StructShape =
  | 'sockaddr'
  | 'pollfd'
  | 'epoll_event'
  | 'linger'
  | 'msghdr'
  | 'cmsghdr'
  | 'sock_extended_err'
  | 'scm_timestamping'
  | 'other';

/** The value of a named field of a struct expression. */
export function structField(e: Expr, name: string): Expr | undefined {
  if (e.kind !== 'struct') return undefined;
  return e.fields.find((f) => f.name === name)?.value;
}
