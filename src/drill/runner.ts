// Running a parsed script against a stack. The stack side is the DrillHost
// interface (inject a packet, perform a system call, let virtual time run,
// collect what the stack sent); this module owns the script semantics:
// event times and their bases, the socket under test and its sequence
// spaces, TSO aggregation, comparisons and timing checks, and packetdrill's
// error messages ("t.pkt:12: error handling packet: live packet field
// tcp_ack: expected: 1 vs actual: 0").

import type { Event, Expr, PacketEvent, Script, SyscallEvent, TcpPacketSpec } from './ast.js';
import type { DrillEnvironment } from './env.js';
import type { DrillFeatures, Unsupported } from './features.js';
import { analyzeShell, type ShellAction } from './shell.js';
import {
  SeqSpace,
  aggregate,
  buildInboundIcmp,
  buildInboundTcp,
  buildInboundUdp,
  checkTime,
  compareOutboundIcmp,
  compareOutboundTcp,
  compareOutboundUdp,
  latest,
  type Endpoints,
  type Expected,
  type LivePacket,
  type LiveTcp,
} from './compare.js';
import { SYN } from '../wire/tcp-types.js';
import { sameErrno } from './symbols.js';
import { evaluateCode } from './code.js';

export * from './compare.js';

/** A system call as the host receives it. */
export interface HostSyscall {
  name: string;
  args: Expr[];
  /**
   * What the script expects back. For calls that return a descriptor
   * (socket, accept, open, epoll_create) a non-negative value is the number
   * the script will use for it: the host should hand out exactly that fd.
   */
  result: Expr;
  /** The errno name the script expects, if any. */
  errno?: string;
  /** Whether the script allows the call to block (`+D...E`). */
  blocking: boolean;
  line: number;
}

export interface HostSyscallResult {
  ret: number;
  /** Errno name (`EAGAIN`) when the call failed. */
  errno?: string;
  /** An out-parameter that differs from the script (getsockopt value, poll revents, ioctl count). */
  mismatch?: string;
}

/**
 * The stack side of a run. Time is virtual and in µs since the script
 * started; nothing happens between calls.
 */
export interface DrillHost {
  /**
   * Configure the stack for the run (addresses, settings, the script's init
   * command). A returned string means it cannot.
   */
  setup(env: DrillEnvironment, features: DrillFeatures, script: Script): string | undefined;
  now(): number;
  /**
   * Let time run up to `until`, firing the stack's timers. With
   * `stopOnOutbound`, return as soon as the stack has sent something.
   */
  advance(until: number, stopOnOutbound: boolean): void;
  /** Deliver a packet from the scripted peer, now. */
  inject(packet: LivePacket): void;
  /** Start a system call now; `'pending'` when it blocks. */
  syscall(call: HostSyscall): HostSyscallResult | 'pending';
  /** The result of the blocked call once it has returned, stamped with its time. */
  pollSyscall(): (HostSyscallResult & { time: number }) | undefined;
  /** The next packet the stack sent, in order. */
  pollOutbound(): LivePacket | undefined;
  /**
   * Run a shell command's recognised actions (the event on `line`); undefined
   * when done, else why not. Absent: shell lines are skipped.
   */
  shell?(text: string, actions: ShellAction[], line: number): string | undefined;
  /**
   * A tcp_info-like snapshot of the socket under test (`tcpi_*` fields, the
   * state in Linux's numbering), for %{ }% blocks; absent: blocks are skipped.
   */
  tcpInfo?(): Record<string, number> | undefined;
}

export interface DrillRunOptions {
  env: DrillEnvironment;
  features: DrillFeatures;
  /** Run even when the features list fatal gaps (the first unsupported event then fails). */
  force?: boolean;
  /** Give up waiting for an outbound packet this long after its latest allowed time (µs). */
  sniffSlack?: number;
}

export interface DrillRunResult {
  file: string;
  status: 'pass' | 'fail' | 'unsupported';
  /** The first fatal error, `file:line: ...`. */
  error?: string;
  warnings: string[];
  /** Events the run could not evaluate (shell lines, %{ }% blocks). */
  skipped: { line: number; what: string }[];
  unsupported: Unsupported[];
  /** Events completed. */
  events: number;
  /** tcp_info snapshots taken at %{ }% blocks, by line. */
  snapshots: { line: number; info: Record<string, number> }[];
}

/** Calls whose non-negative result is a new descriptor. */
const FD_CALLS = new Set(['socket', 'accept', 'accept4', 'open', 'epoll_create', 'epoll_create1']);

const FIRST_EPHEMERAL_PORT = 40000;

interface Conn {
  space: SeqSpace;
  ends: Endpoints;
  /** Our port is learned from the first outbound SYN on an active open. */
  localPortKnown: boolean;
}

class Failure {
  constructor(readonly message: string) {}
}

class Run {
  private readonly file: string;
  private readonly warnings: string[] = [];
  private readonly skipped: { line: number; what: string }[] = [];
  private readonly snapshots: { line: number; info: Record<string, number> }[] = [];
  private readonly blocks: { line: number; code: string; info: Record<string, number> }[] = [];
  private events = 0;
  private readonly family: 4 | 6;
  private sut: Conn | undefined;
  private listening = false;
  private nextPort = FIRST_EPHEMERAL_PORT;
  /** Connections opened by connect(), by the script's descriptor. */
  private readonly connecting = new Map<number, Conn>();
  /** Script time of the previous event (µs), for the dynamic tolerance and inbound anchoring. */
  private prevScheduled: number | undefined;
  private prevInbound = false;
  private prevAbsolute: number | undefined;
  private pending: { ev: SyscallEvent; end: Expected; startScheduled: number } | undefined;

  constructor(
    private readonly script: Script,
    private readonly host: DrillHost,
    private readonly opts: DrillRunOptions,
  ) {
    this.file = script.file;
    this.family = opts.env.ipVersion === 'ipv6' ? 6 : 4;
  }

  result(status: DrillRunResult['status'], error?: string): DrillRunResult {
    const r: DrillRunResult = {
      file: this.file,
      status,
      warnings: this.warnings,
      skipped: this.skipped,
      unsupported: this.opts.features.unsupported,
      events: this.events,
      snapshots: this.snapshots,
    };
    if (error !== undefined) r.error = error;
    return r;
  }

  run(): DrillRunResult {
    const setupError = this.host.setup(this.opts.env, this.opts.features, this.script);
    if (setupError !== undefined) return this.result('unsupported', `${this.file}: unsupported: ${setupError}`);
    let line = 0;
    try {
      const events = this.script.events;
      for (let i = 0; i < events.length; i++) {
        line = events[i]!.loc.line;
        this.settlePending(false);
        this.event(events[i]!, i === 0);
        this.events++;
      }
      this.settlePending(true);
      this.evaluateBlocks();
    } catch (e) {
      if (e instanceof Failure) return this.result('fail', e.message);
      // A host that throws has a bug; report it against the event that was running.
      return this.result('fail', `${this.file}:${line}: internal error in the host: ${e instanceof Error ? e.message : String(e)}`);
    }
    return this.result('pass');
  }

  /**
   * The `%{ }%` blocks against their snapshots: a failed assertion fails the
   * run; a block outside the evaluated subset is listed as skipped.
   */
  private evaluateBlocks(): void {
    for (const b of this.blocks) {
      const r = evaluateCode(b.code, b.info);
      if (r.kind === 'failed') this.fail(b.line, 'other', `assertion failed in %{ }% block: ${r.message}`);
      else if (r.kind === 'unevaluable') this.skipped.push({ line: b.line, what: `%{ }% block not evaluated: ${r.reason}` });
    }
  }

  // ---- errors ----

  private fail(line: number, kind: 'packet' | 'syscall' | 'other', message: string, call?: string): void {
    const text =
      kind === 'packet'
        ? `${this.file}:${line}: error handling packet: ${message}`
        : kind === 'syscall'
          ? `${this.file}:${line}: runtime error in ${call ?? '?'} call: ${message}`
          : `${this.file}:${line}: ${message}`;
    if (kind !== 'other' && this.opts.env.nonFatal.has(kind)) {
      this.warnings.push(text.replace(': error handling', ': warning handling'));
      return;
    }
    throw new Failure(text);
  }

  // ---- time ----

  private expected(ev: Event): Expected {
    const t = ev.time;
    const anchored = this.prevInbound && isInbound(ev) && this.prevScheduled !== undefined;
    const base = anchored ? this.prevScheduled! : this.host.now();
    switch (t.kind) {
      case 'absolute':
        return { kind: 'point', at: t.usecs };
      case 'relative':
        return { kind: 'point', at: base + t.usecs };
      case 'absoluteRange':
        return { kind: 'range', start: t.start, end: t.end };
      case 'relativeRange':
        return { kind: 'range', start: base + t.start, end: base + t.end };
      case 'any':
        return { kind: 'any' };
    }
  }

  private scheduledOf(e: Expected): number {
    return e.kind === 'point' ? e.at : e.kind === 'range' ? e.start : this.host.now();
  }

  /** Wait for an event's time (never going back), then check we are not late. */
  private arrive(ev: Event, e: Expected, what: string): void {
    const at = this.scheduledOf(e);
    if (this.host.now() < at) this.host.advance(at, false);
    const err = checkTime(what, e, this.host.now(), this.prevScheduled, this.opts.env);
    if (err !== undefined) this.fail(ev.loc.line, 'other', err);
  }

  // ---- events ----

  private event(ev: Event, first: boolean): void {
    const e = this.expected(ev);
    if (first && !(e.kind === 'point' && e.at === 0)) this.fail(ev.loc.line, 'other', 'first event should be at time 0');
    if (ev.time.kind === 'absolute' || ev.time.kind === 'absoluteRange') {
      const t = ev.time.kind === 'absolute' ? ev.time.usecs : ev.time.start;
      if (this.prevAbsolute !== undefined && t < this.prevAbsolute) {
        this.fail(ev.loc.line, 'other', `time goes backward in script from ${this.prevAbsolute} usec to ${t} usec`);
      }
      this.prevAbsolute = t;
    }
    switch (ev.kind) {
      case 'packet':
        if (ev.packet.direction === 'inbound') this.inbound(ev, e);
        else this.outbound(ev, e);
        break;
      case 'syscall':
        this.syscall(ev, e);
        break;
      case 'shell': {
        this.arrive(ev, e, 'shell command');
        const actions = analyzeShell(ev.command.text);
        if (this.host.shell === undefined) this.skipped.push({ line: ev.loc.line, what: `shell command \`${ev.command.text}\`` });
        else {
          const err = this.host.shell(ev.command.text, actions, ev.loc.line);
          if (err !== undefined) this.fail(ev.loc.line, 'other', `shell command failed: ${err}`);
          // What no host can emulate is listed, not silently passed.
          for (const a of actions) {
            if (a.kind === 'check' || a.kind === 'state' || a.kind === 'unknown') this.skipped.push({ line: ev.loc.line, what: `shell command \`${a.command}\` (not emulated)` });
          }
        }
        break;
      }
      case 'code': {
        this.arrive(ev, e, 'code block');
        // As packetdrill does, snapshot tcp_info now and evaluate after the run.
        const info = this.host.tcpInfo?.();
        if (info !== undefined) {
          this.snapshots.push({ line: ev.loc.line, info });
          this.blocks.push({ line: ev.loc.line, code: ev.code, info });
        } else this.skipped.push({ line: ev.loc.line, what: '%{ }% block (not evaluated)' });
        break;
      }
    }
    this.prevScheduled = this.scheduledOf(e);
    this.prevInbound = isInbound(ev);
  }

  private newChild(): Conn {
    const c: Conn = {
      space: new SeqSpace(),
      ends: { family: this.family, localIp: this.opts.env.localIp, localPort: this.opts.env.bindPort, remoteIp: this.opts.env.remoteIp, remotePort: this.nextPort++ },
      localPortKnown: true,
    };
    return c;
  }

  private inbound(ev: PacketEvent, e: Expected): void {
    this.arrive(ev, e, 'inbound packet');
    const spec = ev.packet;
    if (spec.protocol === 'tcp' && (this.sut === undefined || this.listening)) {
      // An inbound segment to a listener (or with no socket under test) opens a new child.
      this.sut = this.newChild();
      this.listening = false;
    }
    const conn = this.sut ?? this.newChild();
    const now = this.host.now();
    if (spec.protocol === 'tcp') {
      const b = buildInboundTcp(spec, conn.space, conn.ends, now, this.opts.env);
      if (!b.ok) return this.fail(ev.loc.line, 'packet', b.error);
      this.host.inject(b.packet);
    } else if (spec.protocol === 'udp') {
      this.host.inject(buildInboundUdp(spec, conn.ends, now));
    } else {
      const b = buildInboundIcmp(spec, conn.space, conn.ends, now);
      if (!b.ok) return this.fail(ev.loc.line, 'packet', b.error);
      this.host.inject(b.packet);
    }
  }

  /** Whether a live packet belongs to the socket under test (others are ignored, as packetdrill does). */
  private forSut(p: LivePacket): boolean {
    if (p.protocol !== 'tcp') return true;
    const c = this.sut;
    if (c === undefined) return true;
    const s = p.segment;
    if (!c.localPortKnown) {
      if (s.dstPort !== c.ends.remotePort || (s.flags & SYN) === 0) return false;
      c.ends.localPort = s.srcPort;
      c.localPortKnown = true;
      return true;
    }
    return s.srcPort === c.ends.localPort && s.dstPort === c.ends.remotePort;
  }

  /** The next live packet for the socket under test, letting time run up to `giveUp`. */
  private sniff(giveUp: number): LivePacket | undefined {
    for (;;) {
      const p = this.host.pollOutbound();
      if (p !== undefined) {
        if (this.forSut(p)) return p;
        continue;
      }
      const before = this.host.now();
      if (before >= giveUp) return undefined;
      this.host.advance(giveUp, true);
      const q = this.host.pollOutbound();
      if (q !== undefined) {
        if (this.forSut(q)) return q;
        continue;
      }
      if (this.host.now() === before) return undefined;
    }
  }

  private outbound(ev: PacketEvent, e: Expected): void {
    const spec = ev.packet;
    const line = ev.loc.line;
    const deadline = latest(e, this.prevScheduled, this.opts.env);
    const slack = this.opts.sniffSlack ?? 2_000_000;
    const giveUp = e.kind === 'any' ? this.host.now() + 600_000_000 : deadline + slack;
    const first = this.sniff(giveUp);
    if (first === undefined) {
      return this.fail(line, 'packet', `timed out waiting for outbound packet (expected by ${(deadline / 1e6).toFixed(6)} sec)`);
    }
    if (first.protocol !== spec.protocol) {
      return this.fail(line, 'packet', `live packet protocol: expected ${spec.protocol} vs actual ${first.protocol}`);
    }
    let actual: LivePacket = first;
    let err: string | undefined;
    // With no socket under test (a reset for a connection-less segment) numbers are raw.
    const conn = this.sut ?? this.newChild();
    if (spec.protocol === 'tcp' && first.protocol === 'tcp') {
      actual = this.gather(spec, first, giveUp);
      err = compareOutboundTcp(spec, actual, conn.space, { env: this.opts.env, eventTime: this.scheduledOf(e) });
    } else if (spec.protocol === 'udp' && first.protocol === 'udp') {
      err = compareOutboundUdp(spec, first);
    } else if (spec.protocol === 'icmp' && first.protocol === 'icmp') {
      err = compareOutboundIcmp(spec, first);
    }
    if (err !== undefined) return this.fail(line, 'packet', err);
    const terr = checkTime('outbound packet', e, actual.time, this.prevScheduled, this.opts.env);
    if (terr !== undefined) this.fail(line, 'packet', terr);
  }

  /** Aggregate a TSO burst: keep reading while the payload is shorter than scripted. */
  private gather(spec: TcpPacketSpec, first: LiveTcp, giveUp: number): LiveTcp {
    if (this.opts.env.strictSegments || first.segment.payload.length >= spec.seq.length) return first;
    const parts: LiveTcp[] = [first];
    let total = first.segment.payload.length;
    while (total < spec.seq.length) {
      const next = this.sniff(giveUp);
      if (next === undefined || next.protocol !== 'tcp') break;
      const joined = aggregate([...parts, next]);
      if (typeof joined === 'string') break;
      parts.push(next);
      total += next.segment.payload.length;
    }
    const agg = aggregate(parts);
    return typeof agg === 'string' ? first : agg;
  }

  // ---- system calls ----

  private syscall(ev: SyscallEvent, e: Expected): void {
    const c = ev.call;
    const line = ev.loc.line;
    const blocking = c.blockingEnd !== undefined;
    if (blocking && this.pending !== undefined) {
      this.fail(line, 'other', `${c.name}: a blocking call starts while the blocking ${this.pending.ev.call.name} call from line ${this.pending.ev.loc.line} has not returned`);
    }
    this.arrive(ev, e, 'system call start');
    this.trackStart(c.name, c.args);
    const call: HostSyscall = { name: c.name, args: c.args, result: c.result, blocking, line };
    if (c.errno !== undefined) call.errno = c.errno.name;
    const out = this.host.syscall(call);
    let end: Expected | undefined;
    if (blocking) {
      const start = this.scheduledOf(e);
      const relative = ev.time.kind === 'relative';
      // The end time shares the start's base (it is not relative to the start).
      const base = relative ? start - (ev.time.kind === 'relative' ? ev.time.usecs : 0) : 0;
      end = { kind: 'point', at: base + c.blockingEnd! };
    }
    if (out === 'pending') {
      if (!blocking) return this.fail(line, 'syscall', 'the call blocked, but the script expects it to return at once (write +D...END for a blocking call)', c.name);
      this.pending = { ev, end: end!, startScheduled: this.scheduledOf(e) };
      return;
    }
    if (end !== undefined) {
      const terr = checkTime('system call return', end, this.host.now(), this.scheduledOf(e), this.opts.env);
      if (terr !== undefined) this.fail(line, 'other', terr);
    }
    this.checkResult(ev, out);
  }

  /** A blocked call: check whether it returned; at the end, wait for it. */
  private settlePending(final: boolean): void {
    const p = this.pending;
    if (p === undefined) return;
    let r = this.host.pollSyscall();
    if (r === undefined && final) {
      this.host.advance(latest(p.end, p.startScheduled, this.opts.env) + (this.opts.sniffSlack ?? 2_000_000), false);
      r = this.host.pollSyscall();
      if (r === undefined) {
        this.pending = undefined;
        return this.fail(p.ev.loc.line, 'syscall', 'the blocking call never returned', p.ev.call.name);
      }
    }
    if (r === undefined) return;
    this.pending = undefined;
    const terr = checkTime('system call return', p.end, r.time, p.startScheduled, this.opts.env);
    if (terr !== undefined) this.fail(p.ev.loc.line, 'other', terr);
    this.checkResult(p.ev, r);
  }

  private checkResult(ev: SyscallEvent, out: HostSyscallResult): void {
    const c = ev.call;
    const line = ev.loc.line;
    const expected = intValue(c.result);
    if (expected === undefined) return this.fail(line, 'syscall', `cannot evaluate the expected result ${exprText(c.result)}`, c.name);
    const withErrno = out.errno !== undefined ? ` with errno ${out.errno}` : '';
    if (FD_CALLS.has(c.name) && expected >= 0) {
      if (out.ret < 0) return this.fail(line, 'syscall', `Expected non-negative result but got ${out.ret}${withErrno}`, c.name);
    } else if (out.ret !== expected) {
      return this.fail(line, 'syscall', `Expected result ${expected} but got ${out.ret}${withErrno}`, c.name);
    }
    if (c.errno !== undefined && (out.errno === undefined || !sameErrno(out.errno, c.errno.name, 'linux'))) {
      return this.fail(line, 'syscall', `Expected errno ${c.errno.name} but got ${out.errno ?? 'none'}`, c.name);
    }
    if (out.mismatch !== undefined) return this.fail(line, 'syscall', out.mismatch, c.name);
  }

  /**
   * `listen()` makes the socket under test a listener; `connect()` makes it
   * a connecting socket whose port is learned from its SYN. Both take effect
   * when the call starts (a connect usually blocks or returns EINPROGRESS).
   */
  private trackStart(name: string, args: Expr[]): void {
    if (name === 'listen') {
      this.listening = true;
      this.sut = undefined;
    } else if (name === 'connect' && !(args[1]?.kind === 'word' && args[1].name === 'AF_UNSPEC')) {
      // A second connect() on a socket (EALREADY, EISCONN, or the outcome
      // of a non-blocking one) concerns the connection it already has.
      const fd = intValue(args[0]);
      const known = fd === undefined ? undefined : this.connecting.get(fd);
      this.sut = known ?? {
        space: new SeqSpace(),
        ends: { family: this.family, localIp: this.opts.env.localIp, localPort: 0, remoteIp: this.opts.env.remoteIp, remotePort: this.opts.env.connectPort },
        localPortKnown: false,
      };
      if (fd !== undefined) this.connecting.set(fd, this.sut);
      this.listening = false;
    } else if (name === 'close' || (name === 'connect' && args[1]?.kind === 'word' && args[1].name === 'AF_UNSPEC')) {
      const fd = intValue(args[0]);
      if (fd !== undefined) this.connecting.delete(fd);
    }
  }
}

function isInbound(ev: Event): boolean {
  return ev.kind === 'packet' && ev.packet.direction === 'inbound';
}

/** The integer value of a constant expression (numbers and `|` of numbers). */
export function intValue(e: Expr | undefined): number | undefined {
  if (e === undefined) return undefined;
  if (e.kind === 'int') return e.value;
  if (e.kind === 'or') {
    const a = intValue(e.lhs);
    const b = intValue(e.rhs);
    return a === undefined || b === undefined ? undefined : a | b;
  }
  return undefined;
}

function exprText(e: Expr): string {
  switch (e.kind) {
    case 'int':
      return e.text;
    case 'word':
      return e.name;
    case 'ellipsis':
      return '...';
    case 'string':
      return JSON.stringify(e.value);
    default:
      return e.kind;
  }
}

/**
 * Run a script against a host. Scripts whose features include a fatal gap
 * are reported as unsupported (with every reason) unless `force` is set.
 */
export function runScript(script: Script, host: DrillHost, opts: DrillRunOptions): DrillRunResult {
  const fatal = opts.features.unsupported.filter((u) => u.fatal);
  if (fatal.length > 0 && opts.force !== true) {
    return {
      file: script.file,
      status: 'unsupported',
      error: fatal.map((u) => `${script.file}:${u.line}: unsupported: ${u.reason}`).join('\n'),
      warnings: [],
      skipped: [],
      unsupported: opts.features.unsupported,
      events: 0,
      snapshots: [],
    };
  }
  return new Run(script, host, opts).run();
}
