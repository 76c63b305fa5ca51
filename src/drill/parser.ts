// A recursive-descent parser for packetdrill scripts. It accepts the
// language of google/packetdrill's grammar (options, init/cleanup commands,
// timed packets, system calls, shell commands and %{ }% blocks) and the
// nplab dialect used by the FreeBSD suite (`#ifdef`, `hlim`/`class`,
// `start:end(len)!`, `...(len)`, `md5 valid`, `/udp(a > b)`).
//
// Every failure is returned as a DrillParseError with file, line and column;
// nothing is thrown past `parseScript`.

import {
  ACK,
  AE,
  CWR,
  ECE,
  FIN,
  PSH,
  RST,
  SYN,
  URG,
} from '../wire/tcp-types.js';
import {
  optionLength,
  type DrillParseError,
  type Event,
  type Expr,
  type GreFields,
  type IcmpEchoed,
  type IcmpPacketSpec,
  type IpInfo,
  type Loc,
  type MplsEntry,
  type OuterHeader,
  type PacketSpec,
  type ParseErrorKind,
  type ParseResult,
  type Script,
  type ScriptOption,
  type SeqSpec,
  type ShellCommand,
  type StructField,
  type StructShape,
  type Syscall,
  type TcpOptionSpec,
  type TcpPacketSpec,
  type TimeSpec,
  type UdpPacketSpec,
  type Direction,
} from './ast.js';
import { Lexer, type Token } from './lexer.js';

export interface ParseOptions {
  /** The name errors are reported under. */
  file?: string;
  /** `-D SYM=VAL` symbols (substituted for WORDs; also what `#ifdef` tests). */
  defines?: Record<string, string>;
}

/** Options packetdrill accepts (google and nplab); true when the option takes a value. */
export const KNOWN_OPTIONS: ReadonlyMap<string, boolean> = new Map([
  ['ip_version', true], ['bind_port', true], ['code_command', true], ['code_format', true],
  ['code_sockopt', true], ['connect_port', true], ['remote_ip', true], ['local_ip', true],
  ['local_linklocal_ip', true], ['gateway_ip', true], ['gateway_linklocal_ip', true],
  ['netmask_ip', true], ['speed', true], ['mss', true], ['mtu', true], ['init_scripts', true],
  ['tolerance_usecs', true], ['tolerance_percent', true], ['wire_client', false],
  ['wire_server', false], ['wire_server_ip', true], ['wire_server_at', true],
  ['wire_server_port', true], ['wire_client_dev', true], ['wire_server_dev', true],
  ['so_filename', true], ['so_flags', true], ['tcp_ts_ecr_scaled', false],
  ['tcp_ts_tick_usecs', true], ['strict_segments', false], ['non_fatal', true],
  ['dry_run', false], ['is_anyip', false], ['send_omit_free', false], ['psp_udp_port', true],
  ['debug', false], ['define', true], ['verbose', false],
  // nplab dialect
  ['tcp_md5_secret', true], ['udp_encapsulation', true], ['tun_dev', true],
  ['persistent_tun_dev', false], ['no_cleanup', false],
]);

const U32_MAX = 0xffffffff;
const MAX_TCP_OPTION_BYTES = 40;
const MAX_NESTING = 64;

class Fail {
  constructor(
    readonly kind: ParseErrorKind,
    readonly loc: Loc,
    readonly message: string,
  ) {}
}

function locOf(t: Token): Loc {
  return { line: t.line, column: t.column };
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'string':
      return `string "${t.text.length > 20 ? t.text.slice(0, 20) + '...' : t.text}"`;
    case 'backquote':
      return 'a back-quoted command';
    case 'code':
      return 'a %{ }% block';
    case 'option':
      return `option --${t.text}`;
    default:
      return `'${t.text}'`;
  }
}

/** Microseconds from a non-negative decimal number of seconds, exactly (no float rounding). */
function secondsTextToUsecs(text: string): number {
  const dot = text.indexOf('.');
  const whole = dot < 0 ? text : text.slice(0, dot);
  const frac = dot < 0 ? '' : text.slice(dot + 1);
  const w = whole === '' ? 0 : Number(whole);
  const f = Number((frac + '000000').slice(0, 6));
  return w * 1_000_000 + f;
}

function tcpFlagBit(ch: string): number {
  switch (ch) {
    case 'F':
      return FIN;
    case 'S':
      return SYN;
    case 'R':
      return RST;
    case 'P':
      return PSH;
    case '.':
      return ACK;
    case 'U':
      return URG;
    case 'E':
      return ECE;
    case 'W':
      return CWR;
    case 'A':
      return AE;
    default:
      return 0;
  }
}

function parseHexBlob(s: string): Uint8Array | undefined {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const IP_INFO_WORDS = new Set(['noecn', 'ect0', 'ect1', 'ce', 'ect01', 'tos', 'class', 'flowlabel', 'ttl', 'hlim']);

class Parser {
  private readonly buf: Token[] = [];
  private depth = 0;

  constructor(
    private readonly lx: Lexer,
    private readonly file: string,
  ) {}

  // ---- token plumbing ----

  private peek(k = 0): Token {
    while (this.buf.length <= k) {
      const t = this.lx.next();
      if (t.kind === 'error') {
        throw new Fail(t.stage ?? 'lex', locOf(t), t.text);
      }
      this.buf.push(t);
      if (t.kind === 'eof') break;
    }
    return this.buf[Math.min(k, this.buf.length - 1)]!;
  }

  private take(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.buf.shift();
    return t;
  }

  private isPunct(ch: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === ch;
  }

  private isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'word' && t.text === w;
  }

  private fail(t: Token, message: string, kind: ParseErrorKind = 'syntax'): never {
    throw new Fail(kind, locOf(t), message);
  }

  private semantic(t: Token | Loc, message: string): never {
    const loc = 'kind' in t ? locOf(t) : t;
    throw new Fail('semantic', loc, message);
  }

  private expectPunct(ch: string, context: string): Token {
    const t = this.peek();
    if (t.kind !== 'punct' || t.text !== ch) this.fail(t, `expected '${ch}' ${context}, got ${describe(t)}`);
    return this.take();
  }

  private expectWord(w: string, context: string): Token {
    const t = this.peek();
    if (t.kind !== 'word' || t.text !== w) this.fail(t, `expected '${w}' ${context}, got ${describe(t)}`);
    return this.take();
  }

  /** A decimal integer token's value. */
  private integer(context: string): { value: number; tok: Token } {
    const t = this.peek();
    if (t.kind !== 'int') this.fail(t, `expected an integer ${context}, got ${describe(t)}`);
    this.take();
    return { value: Number(t.text), tok: t };
  }

  /** A decimal or hex integer token's value. */
  private anyInteger(context: string): { value: number; tok: Token } {
    const t = this.peek();
    if (t.kind === 'hex') {
      this.take();
      return { value: hexValue(t.text), tok: t };
    }
    return this.integer(context);
  }

  private ranged(v: { value: number; tok: Token }, max: number, what: string): number {
    if (v.value < 0 || v.value > max) this.semantic(v.tok, `${what} ${v.tok.text} out of range (0..${max})`);
    return v.value;
  }

  // ---- script ----

  script(): Script {
    const options: ScriptOption[] = [];
    while (this.peek().kind === 'option') options.push(this.option());
    const script: Script = { file: this.file, options, events: [] };
    if (this.peek().kind === 'backquote') script.initCommand = this.command(this.take());
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (t.kind === 'option') this.fail(t, `option --${t.text} must come before the first event`);
      if (t.kind === 'backquote') {
        if (script.events.length > 0 && this.peek(1).kind === 'eof') {
          script.cleanupCommand = this.command(this.take());
          break;
        }
        this.fail(t, 'a back-quoted command inside the script needs a time (e.g. +0 `...`)');
      }
      script.events.push(this.event());
    }
    if (script.events.length === 0) this.fail(this.peek(), 'script has no events');
    return script;
  }

  private option(): ScriptOption {
    const t = this.take();
    const takesValue = KNOWN_OPTIONS.get(t.text);
    if (takesValue === undefined) this.semantic(t, `unknown option --${t.text}`);
    if (takesValue && t.value === undefined) this.semantic(t, `option --${t.text} needs a value (--${t.text}=...)`);
    if (!takesValue && t.value !== undefined) this.semantic(t, `option --${t.text} takes no value`);
    if (t.text === 'define') {
      const v = t.value!;
      const eq = v.indexOf('=');
      const sym = eq < 0 ? v : v.slice(0, eq);
      if (!/^[A-Za-z0-9_]+$/.test(sym)) this.semantic(t, `bad --define '${v}' (expected SYMBOL=VALUE)`);
      this.lx.defines.set(sym, eq < 0 ? '1' : v.slice(eq + 1));
    }
    const o: ScriptOption = { name: t.text, loc: locOf(t) };
    if (t.value !== undefined) o.value = t.value;
    return o;
  }

  private command(t: Token): ShellCommand {
    return { text: t.text, loc: locOf(t) };
  }

  // ---- events ----

  private event(): Event {
    const first = this.peek();
    const loc = locOf(first);
    const time = this.time();
    const t = this.peek();
    let ev: Event;
    if (t.kind === 'punct' && (t.text === '<' || t.text === '>')) {
      ev = { kind: 'packet', loc, time, packet: this.packet() };
    } else if (t.kind === 'backquote') {
      this.take();
      ev = { kind: 'shell', loc, time, command: this.command(t) };
    } else if (t.kind === 'code') {
      this.take();
      ev = { kind: 'code', loc, time, code: t.text };
    } else if (t.kind === 'ellipsis' || (t.kind === 'word' && this.isPunct('(', 1))) {
      ev = { kind: 'syscall', loc, time, call: this.syscall() };
    } else {
      this.fail(t, `expected a packet ('<' or '>'), a system call, a back-quoted command or a %{ }% block after the time, got ${describe(t)}`);
    }
    const outbound = ev.kind === 'packet' && ev.packet.direction === 'outbound';
    if (time.kind === 'any' && !outbound) this.semantic(loc, 'event time * can only be used with outbound packets');
    if ((time.kind === 'absoluteRange' || time.kind === 'relativeRange') && !outbound) {
      this.semantic(loc, 'event time range can only be used with outbound packets');
    }
    return ev;
  }

  /** A non-negative number of seconds, in µs. */
  private seconds(context: string): number {
    const t = this.peek();
    if (t.kind !== 'int' && t.kind !== 'float') this.fail(t, `expected a time in seconds ${context}, got ${describe(t)}`);
    this.take();
    if (t.text.startsWith('-')) this.semantic(t, `negative time ${t.text}`);
    return secondsTextToUsecs(t.text);
  }

  private time(): TimeSpec {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '*') {
      this.take();
      return { kind: 'any' };
    }
    if (t.kind === 'punct' && t.text === '+') {
      this.take();
      const start = this.seconds("after '+'");
      if (!this.isPunct('~')) return { kind: 'relative', usecs: start };
      this.take();
      if (!this.isPunct('+')) this.fail(this.peek(), `a relative time range needs '+' after '~' (+a~+b), got ${describe(this.peek())}`);
      this.take();
      const end = this.seconds("after '~+'");
      if (end < start) this.semantic(t, 'time range is backwards');
      return { kind: 'relativeRange', start, end };
    }
    if (t.kind === 'int' || t.kind === 'float') {
      const start = this.seconds('');
      if (!this.isPunct('~')) return { kind: 'absolute', usecs: start };
      this.take();
      if (this.isPunct('+')) this.fail(this.peek(), "an absolute time range cannot end with a relative time (a~b or +a~+b)");
      const end = this.seconds("after '~'");
      if (end < start) this.semantic(t, 'time range is backwards');
      return { kind: 'absoluteRange', start, end };
    }
    return this.fail(t, `expected a time (0, +0.1, *, 0.1~0.2) at the start of an event, got ${describe(t)}`);
  }

  // ---- packets ----

  private packet(): PacketSpec {
    const dirTok = this.take();
    const direction: Direction = dirTok.text === '<' ? 'inbound' : 'outbound';
    const outer: OuterHeader[] = [];
    for (;;) {
      if (this.isWord('ipv4') || this.isWord('ipv6')) outer.push(this.outerIp());
      else if (this.isWord('gre') || this.isWord('GREv0')) outer.push(this.gre());
      else if (this.isWord('mpls')) outer.push(this.mpls());
      else break;
    }
    const ip = this.optIpInfo(direction);
    if (this.isWord('udp')) return this.udp(direction, outer, ip);
    if (this.isWord('icmp')) return this.icmp(direction, outer, ip);
    return this.tcp(direction, outer, ip, dirTok);
  }

  private outerIp(): OuterHeader {
    const kw = this.take();
    const kind = kw.text === 'ipv4' ? 'ipv4' : 'ipv6';
    const ip = this.optIpInfo('inbound');
    const addr = (): string => {
      const t = this.peek();
      if (t.kind !== kind) this.fail(t, `expected an ${kind === 'ipv4' ? 'IPv4' : 'IPv6'} address after '${kind}', got ${describe(t)}`);
      return this.take().text;
    };
    const src = addr();
    this.expectPunct('>', `between the ${kind} addresses`);
    const dst = addr();
    this.expectPunct(':', `after the ${kind} header`);
    return { kind, ip, src, dst };
  }

  private gre(): OuterHeader {
    this.take();
    const fields: GreFields = { flags: 0 };
    const comma = (): void => {
      if (this.isPunct(',')) this.take();
    };
    comma();
    if (this.isPunct(':')) {
      this.take();
      return { kind: 'gre', fields };
    }
    if (!this.isWord('flags') && !this.isWord('Flags')) this.fail(this.peek(), `expected 'flags' or ':' after 'gre', got ${describe(this.peek())}`);
    this.take();
    if (this.isPunct('[')) {
      this.take();
      for (;;) {
        const w = this.take();
        if (w.kind === 'word' && w.text === 'none') {
          // no flag
        } else if (w.kind === 'word' && (w.text === 'checksum' || w.text === 'key' || w.text === 'sequence')) {
          if (w.text === 'sequence') this.expectPunct('#', "in 'sequence#'");
          this.expectWord('present', `after '${w.text}'`);
          fields.flags |= w.text === 'checksum' ? 0x8000 : w.text === 'key' ? 0x2000 : 0x1000;
        } else {
          this.fail(w, `expected a GRE flag (none, checksum present, key present, sequence# present), got ${describe(w)}`);
        }
        if (this.isPunct(',')) {
          this.take();
          continue;
        }
        this.expectPunct(']', 'after the GRE flags');
        break;
      }
    } else {
      fields.flags = this.anyInteger("after 'flags'").value;
    }
    comma();
    this.expectWord('sum', 'in the GRE header');
    fields.sum = this.anyInteger("after 'sum'").value;
    comma();
    this.expectWord('off', 'in the GRE header');
    fields.off = this.anyInteger("after 'off'").value;
    comma();
    this.expectWord('key', 'in the GRE header');
    if (this.isPunct('=')) this.take();
    fields.key = this.anyInteger("after 'key'").value;
    comma();
    this.expectWord('seq', 'in the GRE header');
    fields.seq = this.anyInteger("after 'seq'").value;
    this.expectPunct(':', 'after the GRE header');
    return { kind: 'gre', fields };
  }

  private mpls(): OuterHeader {
    this.take();
    const labels: MplsEntry[] = [];
    while (this.isPunct('(')) {
      this.take();
      this.expectWord('label', 'in an MPLS entry');
      const label = this.ranged(this.integer("after 'label'"), 0xfffff, 'MPLS label');
      this.expectPunct(',', 'in an MPLS entry');
      this.expectWord('tc', 'in an MPLS entry');
      const tc = this.ranged(this.integer("after 'tc'"), 7, 'MPLS traffic class');
      this.expectPunct(',', 'in an MPLS entry');
      let bottom = false;
      if (this.isPunct('[')) {
        this.take();
        this.expectWord('S', "for the MPLS bottom of stack ('[S]')");
        this.expectPunct(']', "after '[S'");
        this.expectPunct(',', "after '[S]'");
        bottom = true;
      }
      this.expectWord('ttl', 'in an MPLS entry');
      const ttl = this.ranged(this.integer("after 'ttl'"), 255, 'MPLS ttl');
      this.expectPunct(')', 'after an MPLS entry');
      labels.push({ label, tc, bottom, ttl });
    }
    this.expectPunct(':', 'after the MPLS label stack');
    return { kind: 'mpls', labels };
  }

  /** `(tos 0x..)`, `[ect0]`, `(ttl 64, flowlabel 0x1)`... or nothing. */
  private optIpInfo(direction: Direction): IpInfo {
    const open = this.peek();
    if (open.kind !== 'punct' || (open.text !== '(' && open.text !== '[')) return {};
    const w = this.peek(1);
    if (w.kind !== 'word' || !IP_INFO_WORDS.has(w.text)) return {};
    this.take();
    const close = open.text === '(' ? ')' : ']';
    const info: IpInfo = {};
    const seen = new Set<string>();
    for (;;) {
      const t = this.take();
      if (t.kind !== 'word' || !IP_INFO_WORDS.has(t.text)) {
        this.fail(t, `expected an IP field (noecn, ect0, ect1, ect01, ce, tos, class, flowlabel, ttl, hlim), got ${describe(t)}`);
      }
      const group = t.text === 'class' ? 'tos' : t.text === 'hlim' ? 'ttl' : ['noecn', 'ect0', 'ect1', 'ce', 'ect01'].includes(t.text) ? 'ecn' : t.text;
      if (seen.has(group)) this.semantic(t, `IP field '${t.text}' given twice`);
      seen.add(group);
      switch (t.text) {
        case 'noecn':
        case 'ect0':
        case 'ect1':
        case 'ce':
        case 'ect01':
          if (t.text === 'ect01' && direction !== 'outbound') this.semantic(t, '[ect01] can only be used with outbound packets');
          info.ecn = t.text;
          break;
        case 'tos':
        case 'class': {
          const v = this.peek();
          if (v.kind !== 'hex' && v.kind !== 'int') this.fail(v, `expected a number after '${t.text}', got ${describe(v)}`);
          info.tos = this.ranged(this.anyInteger(`after '${t.text}'`), 0xff, t.text);
          break;
        }
        case 'flowlabel': {
          info.flowLabel = this.ranged(this.anyInteger("after 'flowlabel'"), 0xfffff, 'flowlabel');
          break;
        }
        default:
          info.ttl = this.ranged(this.integer(`after '${t.text}'`), 0xff, t.text);
      }
      if (this.isPunct(',')) {
        this.take();
        continue;
      }
      this.expectPunct(close, 'after the IP fields');
      return info;
    }
  }

  private optPorts(): { src: number; dst: number } | undefined {
    if (this.peek().kind !== 'int' || !this.isPunct('>', 1)) return undefined;
    const src = this.ranged(this.integer('as source port'), 0xffff, 'source port');
    this.take();
    const dst = this.ranged(this.integer('as destination port'), 0xffff, 'destination port');
    return { src, dst };
  }

  private udp(direction: Direction, outer: OuterHeader[], ip: IpInfo): UdpPacketSpec {
    const kw = this.take();
    if (ip.ecn !== undefined) this.semantic(kw, 'ECN can only be used with TCP packets');
    const ports = this.optPorts();
    this.expectPunct('(', "before the UDP payload length ('udp (LEN)')");
    const length = this.ranged(this.integer('as UDP payload length'), 0xffff, 'UDP payload size');
    this.expectPunct(')', 'after the UDP payload length');
    const p: UdpPacketSpec = { protocol: 'udp', direction, outer, ip, length };
    if (ports !== undefined) p.ports = ports;
    return p;
  }

  private icmp(direction: Direction, outer: OuterHeader[], ip: IpInfo): IcmpPacketSpec {
    this.take();
    const typeTok = this.peek();
    if (typeTok.kind !== 'word' && typeTok.kind !== 'int') this.fail(typeTok, `expected an ICMP type name after 'icmp', got ${describe(typeTok)}`);
    this.take();
    const p: IcmpPacketSpec = { protocol: 'icmp', direction, outer, ip, type: typeTok.text, echoed: { protocol: 'tcp', seq: { kind: 'relative', start: 0, end: 0, length: 0 } } };
    const c = this.peek();
    if ((c.kind === 'word' && c.text !== 'mtu' && c.text !== 'id') || c.kind === 'int') {
      this.take();
      p.code = c.text;
    }
    if (this.isWord('mtu')) {
      this.take();
      p.mtu = this.ranged(this.integer("after 'mtu'"), U32_MAX, 'ICMP MTU');
    }
    if (this.isWord('id')) {
      this.take();
      p.id = this.ranged(this.integer("after 'id'"), 0xffff, 'ICMP id');
    }
    if (this.isPunct('[')) {
      this.take();
      let echoed: IcmpEchoed;
      if (this.isWord('udp') || this.isWord('raw')) {
        const w = this.take();
        this.expectPunct('(', `after '${w.text}'`);
        const length = this.ranged(this.integer('as quoted payload length'), 0xffff, 'payload size');
        this.expectPunct(')', 'after the quoted payload length');
        echoed = { protocol: w.text === 'udp' ? 'udp' : 'raw', length };
      } else {
        echoed = { protocol: 'tcp', seq: this.seq() };
        if (this.isPunct('/')) this.udpEncap();
      }
      this.expectPunct(']', 'after the quoted packet');
      p.echoed = echoed;
    }
    return p;
  }

  private tcp(direction: Direction, outer: OuterHeader[], ip: IpInfo, dirTok: Token): TcpPacketSpec {
    let psp: { spi: number } | undefined;
    if (this.isWord('encap')) {
      this.take();
      this.expectWord('psp', "after 'encap'");
      this.expectWord('spi', "after 'encap psp'");
      psp = { spi: this.ranged(this.anyInteger("after 'spi'"), U32_MAX, 'PSP SPI') };
    }
    const ports = this.optPorts();
    const { flags, flagsText, ace } = this.flags();
    const seq = this.seq();
    const p: TcpPacketSpec = { protocol: 'tcp', direction, outer, ip, flags, flagsText, seq, options: [] };
    if (psp !== undefined) p.psp = psp;
    if (ports !== undefined) p.ports = ports;
    if (ace !== undefined) p.ace = ace;
    if (this.isWord('ack')) {
      this.take();
      p.ack = this.ranged(this.integer("after 'ack'"), U32_MAX, 'TCP ack sequence number');
    }
    if (this.isWord('win')) {
      this.take();
      p.window = this.ranged(this.integer("after 'win'"), 0xffff, 'TCP window value');
    }
    if (this.isWord('urg')) {
      this.take();
      p.urg = this.ranged(this.integer("after 'urg'"), 0xffff, 'urg_ptr value');
    }
    if (this.isPunct('<')) p.options = this.tcpOptions(direction);
    if (this.isPunct('/')) p.udpEncap = this.udpEncap();
    if (direction === 'inbound' && p.window === undefined) {
      this.semantic(dirTok, 'window must be specified for inbound packets (win N)');
    }
    return p;
  }

  /** nplab: `/udp(sport > dport)` after a segment. */
  private udpEncap(): { src: number; dst: number } {
    this.take();
    this.expectWord('udp', "after '/' (UDP encapsulation '/udp(a > b)')");
    this.expectPunct('(', "after '/udp'");
    const src = this.ranged(this.integer('as UDP source port'), 0xffff, 'UDP source port');
    this.expectPunct('>', 'between the UDP ports');
    const dst = this.ranged(this.integer('as UDP destination port'), 0xffff, 'UDP destination port');
    this.expectPunct(')', 'after the UDP ports');
    return { src, dst };
  }

  private flags(): { flags: number; flagsText: string; ace?: number } {
    const t = this.peek();
    let text: string;
    if (t.kind === 'punct' && t.text === '.') {
      this.take();
      text = '.';
    } else if (t.kind === 'punct' && t.text === '-') {
      this.take();
      text = '';
    } else if (t.kind === 'word') {
      this.take();
      text = t.text;
      const n = this.peek();
      if (n.kind === 'punct' && n.text === '.') {
        this.take();
        text += '.';
      } else if (n.kind === 'float' && n.text.startsWith('.')) {
        this.take();
        text += n.text;
      }
    } else if (t.kind === 'float' && t.text.startsWith('.')) {
      this.take();
      text = t.text;
    } else {
      return this.fail(t, `expected TCP flags (S, S., ., F., R, P., - ...) or 'udp'/'icmp', got ${describe(t)}`);
    }
    let flags = 0;
    let ace: number | undefined;
    let ecnLetter = false;
    for (const ch of text) {
      if (ch >= '0' && ch <= '7') {
        if (ace !== undefined || ecnLetter) this.semantic(t, `conflicting TCP flag '${ch}' in '${text}'`);
        ace = ch.charCodeAt(0) - 48;
        continue;
      }
      const bit = tcpFlagBit(ch);
      if (bit === 0) this.semantic(t, `invalid TCP flag '${ch}' in '${text}'`);
      if (ch === 'E' || ch === 'W' || ch === 'A') {
        if (ace !== undefined) this.semantic(t, `conflicting TCP flag '${ch}' in '${text}'`);
        ecnLetter = true;
      }
      flags |= bit;
    }
    return ace === undefined ? { flags, flagsText: t.kind === 'punct' && t.text === '-' ? '-' : text } : { flags, flagsText: text, ace };
  }

  private seq(): SeqSpec {
    const t = this.peek();
    if (t.kind === 'ellipsis') {
      this.take();
      this.expectPunct('(', "after '...' in a sequence spec ('...(LEN)')");
      const length = this.ranged(this.integer('as payload length'), 0xffff, 'TCP payload size');
      this.expectPunct(')', 'after the payload length');
      return { kind: 'any', length };
    }
    if (t.kind !== 'int') this.fail(t, `expected a sequence spec START:END(LEN), got ${describe(t)}`);
    const start = this.ranged(this.integer('as start sequence number'), U32_MAX, 'TCP start sequence number');
    this.expectPunct(':', "in a sequence spec START:END(LEN)");
    const end = this.ranged(this.integer('as end sequence number'), U32_MAX, 'TCP end sequence number');
    this.expectPunct('(', 'before the payload length in START:END(LEN)');
    const lenTok = this.peek();
    const length = this.ranged(this.integer('as payload length'), 0xffff, 'TCP payload size');
    this.expectPunct(')', 'after the payload length');
    if (end !== start + length) {
      this.semantic(lenTok, `inconsistent TCP sequence numbers and payload size: ${start}+${length} != ${end}`);
    }
    if (this.isPunct('!')) {
      this.take();
      return { kind: 'absolute', start, end, length };
    }
    return { kind: 'relative', start, end, length };
  }

  private tcpOptions(direction: Direction): TcpOptionSpec[] | 'any' {
    const open = this.take();
    if (this.peek().kind === 'ellipsis' && this.isPunct('>', 1)) {
      this.take();
      this.take();
      if (direction !== 'outbound') this.semantic(open, '<...> for TCP options can only be used with outbound packets');
      return 'any';
    }
    const opts: TcpOptionSpec[] = [];
    for (;;) {
      opts.push(this.tcpOption());
      if (this.isPunct(',')) {
        this.take();
        continue;
      }
      this.expectPunct('>', 'after the TCP options');
      break;
    }
    const bytes = opts.reduce((n, o) => n + optionLength(o), 0);
    if (bytes > MAX_TCP_OPTION_BYTES) this.semantic(open, `TCP option list too long: ${bytes} bytes (at most ${MAX_TCP_OPTION_BYTES})`);
    if (bytes % 4 !== 0) {
      this.semantic(open, `TCP options are not padded to a multiple of 4 bytes: ${bytes} bytes, ${bytes % 4} excess (add nop or eol)`);
    }
    return opts;
  }

  private hexBlobToken(context: string): Token {
    const t = this.peek();
    if (t.kind !== 'word' && t.kind !== 'int' && t.kind !== 'hex') this.fail(t, `expected hex bytes ${context}, got ${describe(t)}`);
    return this.take();
  }

  private tcpOption(): TcpOptionSpec {
    const t = this.take();
    if (t.kind !== 'word') this.fail(t, `expected a TCP option (nop, eol, mss, wscale, sackOK, sack, TS, md5, FO, FOEXP, ECN), got ${describe(t)}`);
    switch (t.text) {
      case 'nop':
        return { kind: 'nop' };
      case 'eol':
        return { kind: 'eol' };
      case 'sackOK':
        return { kind: 'sackOK' };
      case 'mss':
        return { kind: 'mss', mss: this.ranged(this.integer("after 'mss'"), 0xffff, 'mss value') };
      case 'wscale':
        return { kind: 'wscale', shift: this.ranged(this.integer("after 'wscale'"), 0xff, 'window scale shift count') };
      case 'sack': {
        const blocks: { left: number; right: number }[] = [];
        while (this.peek().kind === 'int' && this.isPunct(':', 1)) {
          const left = this.ranged(this.integer('as SACK left edge'), U32_MAX, 'TCP SACK left sequence number');
          this.take();
          const right = this.ranged(this.integer('as SACK right edge'), U32_MAX, 'TCP SACK right sequence number');
          blocks.push({ left, right });
        }
        if (blocks.length === 0) this.fail(this.peek(), `expected SACK blocks L:R after 'sack', got ${describe(this.peek())}`);
        return { kind: 'sack', blocks };
      }
      case 'TS': {
        this.expectWord('val', "after 'TS'");
        let val: number | undefined;
        if (this.peek().kind === 'ellipsis') this.take();
        else val = this.ranged(this.integer("after 'TS val'"), U32_MAX, 'ts val');
        this.expectWord('ecr', 'after the TS val');
        const ecr = this.ranged(this.integer("after 'ecr'"), U32_MAX, 'ecr val');
        let ecrAbsolute = false;
        if (this.isPunct('!')) {
          this.take();
          ecrAbsolute = true;
        }
        const o: TcpOptionSpec = { kind: 'timestamp', ecr, ecrAbsolute };
        if (val !== undefined) o.val = val;
        return o;
      }
      case 'md5': {
        if (this.isWord('valid')) {
          this.take();
          return { kind: 'md5', digest: 'valid' };
        }
        const b = this.hexBlobToken("after 'md5'");
        const digest = parseHexBlob(b.text);
        if (digest === undefined || digest.length !== 16) this.semantic(b, `md5 digest '${b.text}' must be 32 hex digits`);
        return { kind: 'md5', digest };
      }
      case 'FO':
      case 'FOEXP': {
        const experimental = t.text === 'FOEXP';
        let cookie: Uint8Array = new Uint8Array(0);
        const n = this.peek();
        if (n.kind === 'word' || n.kind === 'int' || n.kind === 'hex') {
          this.take();
          const c = parseHexBlob(n.text);
          if (c === undefined) {
            this.semantic(n, `TCP Fast Open cookie '${n.text}' is not an even number of hex digits${/[g-zG-Z_]/.test(n.text) ? ' (an undefined symbol? pass -D ' + n.text + '=HEX)' : ''}`);
          }
          cookie = c;
        }
        return { kind: 'fastOpen', experimental, cookie };
      }
      case 'ECN': {
        const fields: { name: 'e0b' | 'ceb' | 'e1b'; value: number }[] = [];
        while (this.isWord('e0b') || this.isWord('ceb') || this.isWord('e1b')) {
          const w = this.take();
          const name = w.text as 'e0b' | 'ceb' | 'e1b';
          fields.push({ name, value: this.ranged(this.integer(`after '${name}'`), 0xffffff, 'TCP AccECN field value') });
        }
        const names = fields.map((f) => f.name).join(',');
        const valid = ['e0b', 'e0b,ceb', 'e0b,ceb,e1b', 'e1b', 'e1b,ceb', 'e1b,ceb,e0b'];
        if (!valid.includes(names)) {
          this.semantic(t, `AccECN option fields must be e0b [ceb [e1b]] or e1b [ceb [e0b]], got '${names || 'none'}'`);
        }
        return { kind: 'accecn', fields };
      }
      default:
        return this.fail(t, `unknown TCP option '${t.text}'`);
    }
  }

  // ---- system calls ----

  private syscall(): Syscall {
    let blockingEnd: number | undefined;
    if (this.peek().kind === 'ellipsis') {
      this.take();
      blockingEnd = this.seconds("after '...' (blocking call end time)");
    }
    const name = this.take();
    if (name.kind !== 'word') this.fail(name, `expected a system call name, got ${describe(name)}`);
    this.expectPunct('(', `after '${name.text}'`);
    const args: Expr[] = [];
    if (!this.isPunct(')')) {
      for (;;) {
        args.push(this.expr());
        if (this.isPunct(',')) {
          this.take();
          continue;
        }
        break;
      }
    }
    this.expectPunct(')', `to close the arguments of ${name.text}()`);
    this.expectPunct('=', `after ${name.text}(...) (expected '= RESULT')`);
    const result = this.expr();
    const call: Syscall = { name: name.text, args, result };
    if (blockingEnd !== undefined) call.blockingEnd = blockingEnd;
    const e = this.peek();
    if (e.kind === 'word') {
      this.take();
      if (!this.isPunct('(')) this.fail(this.peek(), `errno ${e.text} must be followed by a note in parentheses, e.g. ${e.text} (description)`);
      call.errno = { name: e.text, note: this.note() };
    } else if (e.kind === 'punct' && e.text === '(') {
      call.note = this.note();
    }
    return call;
  }

  /** `( words )`: free text up to the matching parenthesis. */
  private note(): string {
    const open = this.take();
    const words: string[] = [];
    let depth = 1;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') this.fail(open, "unterminated note: missing ')'");
      this.take();
      if (t.kind === 'punct' && t.text === '(') depth++;
      if (t.kind === 'punct' && t.text === ')' && --depth === 0) break;
      words.push(t.kind === 'string' ? `"${t.text}"` : t.text);
    }
    return words.join(' ');
  }

  // ---- expressions ----

  private expr(): Expr {
    let lhs = this.primary();
    while (this.isPunct('|')) {
      const op = this.take();
      const rhs = this.primary();
      lhs = { kind: 'or', lhs, rhs, loc: locOf(op) };
    }
    return lhs;
  }

  private nest<T>(t: Token, f: () => T): T {
    if (++this.depth > MAX_NESTING) this.semantic(t, `expression nested more than ${MAX_NESTING} levels deep`);
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  private exprList(close: string, what: string): Expr[] {
    const out: Expr[] = [];
    if (this.isPunct(close)) {
      this.take();
      return out;
    }
    for (;;) {
      out.push(this.expr());
      if (this.isPunct(',')) {
        this.take();
        continue;
      }
      this.expectPunct(close, `to close the ${what}`);
      return out;
    }
  }

  private primary(): Expr {
    const t = this.peek();
    const loc = locOf(t);
    switch (t.kind) {
      case 'ellipsis':
        this.take();
        return { kind: 'ellipsis', loc };
      case 'int':
        this.take();
        return { kind: 'int', value: Number(t.text), text: t.text, hex: false, loc };
      case 'hex':
        this.take();
        return { kind: 'int', value: hexValue(t.text), text: t.text, hex: true, loc };
      case 'string': {
        this.take();
        let value = t.text;
        while (this.peek().kind === 'string') value += this.take().text;
        let ellipsis = false;
        if (this.peek().kind === 'ellipsis') {
          this.take();
          ellipsis = true;
        }
        return { kind: 'string', value, ellipsis, loc };
      }
      case 'word': {
        this.take();
        if (this.isPunct('(')) {
          const args = this.nest(t, () => {
            this.take();
            return this.exprList(')', `arguments of ${t.text}(...)`);
          });
          if (this.isPunct('=')) {
            this.take();
            if (args.length !== 1) this.semantic(t, `field ${t.text}(...) takes exactly one argument`);
            return { kind: 'assign', name: t.text, arg: args[0]!, value: this.nest(t, () => this.expr()), loc };
          }
          return { kind: 'call', name: t.text, args, loc };
        }
        if (this.isPunct('=')) {
          this.take();
          return { kind: 'assign', name: t.text, value: this.nest(t, () => this.expr()), loc };
        }
        return { kind: 'word', name: t.text, loc };
      }
      case 'punct':
        if (t.text === '[') {
          this.take();
          return { kind: 'array', elements: this.nest(t, () => this.exprList(']', 'array')), loc };
        }
        if (t.text === '{') {
          this.take();
          const elements = this.nest(t, () => this.exprList('}', 'braces'));
          return this.brace(elements, t);
        }
        break;
      default:
        break;
    }
    return this.fail(t, `expected an expression (number, symbol, "string", ..., [..], {..}), got ${describe(t)}`);
  }

  /** `{...}`: a struct when every element is `name=value`, else a list. */
  private brace(elements: Expr[], open: Token): Expr {
    const loc = locOf(open);
    if (elements.length === 0 || !elements.every((e) => e.kind === 'assign')) return { kind: 'list', elements, loc };
    const fields: StructField[] = [];
    for (const e of elements) {
      if (e.kind !== 'assign') continue;
      if (fields.some((f) => f.name === e.name)) this.semantic(e.loc, `field ${e.name} given twice`);
      const f: StructField = { name: e.name, value: e.value };
      if (e.arg !== undefined) f.arg = e.arg;
      fields.push(f);
    }
    const names = fields.map((f) => f.name);
    const shape = structShape(names);
    const required = REQUIRED_FIELDS[shape];
    for (const r of required) {
      if (!names.includes(r)) this.semantic(loc, `${shape} needs field ${r} (has ${names.join(', ')})`);
    }
    return { kind: 'struct', shape, fields, loc };
  }
}

const REQUIRED_FIELDS: Record<StructShape, readonly string[]> = {
  sockaddr: ['sa_family', 'sin_port', 'sin_addr'],
  pollfd: ['fd', 'events'],
  epoll_event: ['events'],
  linger: ['onoff', 'linger'],
  msghdr: ['msg_iov', 'msg_flags'],
  cmsghdr: ['cmsg_level', 'cmsg_type', 'cmsg_data'],
  sock_extended_err: ['ee_errno', 'ee_origin', 'ee_type', 'ee_code', 'ee_info', 'ee_data'],
  scm_timestamping: ['scm_sec', 'scm_nsec'],
  other: [],
};

function structShape(names: string[]): StructShape {
  const first = names[0];
  if (names.includes('sa_family')) return 'sockaddr';
  if (names.some((n) => n.startsWith('msg_'))) return 'msghdr';
  if (names.some((n) => n.startsWith('cmsg_'))) return 'cmsghdr';
  if (names.some((n) => n.startsWith('ee_'))) return 'sock_extended_err';
  if (names.some((n) => n.startsWith('scm_'))) return 'scm_timestamping';
  if (names.includes('onoff')) return 'linger';
  if (first === 'fd') return 'pollfd';
  if (first === 'events' && names.some((n) => n === 'fd' || n === 'ptr' || n === 'u32' || n === 'u64')) return 'epoll_event';
  return 'other';
}

function hexValue(text: string): number {
  const neg = text.startsWith('-');
  const v = parseInt(text.slice(neg ? 3 : 2), 16);
  return neg ? -v : v;
}

/** Parse a script. Never throws; failures come back as `{ ok: false, error }`. */
export function parseScript(text: string, opts: ParseOptions = {}): ParseResult {
  const file = opts.file ?? '<script>';
  const defines = new Map(Object.entries(opts.defines ?? {}));
  const lx = new Lexer(text, { defines });
  const p = new Parser(lx, file);
  try {
    return { ok: true, script: p.script() };
  } catch (e) {
    if (e instanceof Fail) {
      const error: DrillParseError = { kind: e.kind, file, line: e.loc.line, column: e.loc.column, message: e.message };
      return { ok: false, error };
    }
    // A bug or resource exhaustion must still not escape as an exception.
    const here = lx.here();
    const message = e instanceof Error ? e.message : String(e);
    return { ok: false, error: { kind: 'internal', file, line: here.line, column: here.column, message: `internal parser error: ${message}` } };
  }
}
