// A toy DrillHost for runner tests: a virtual clock, a timer list and a
// deliberately tiny TCP (one listener or one active open, SYN-ACK
// retransmission at 1 s, data split into segments of `segmentSize`, FIN on
// close). Its ISN is fixed and far from 0 so that sequence-space mistakes
// show. It is not the synack stack; it only gives the runner something with
// known behaviour to drive.

import type { DrillHost, HostSyscall, HostSyscallResult, LivePacket, LiveTcp } from '../../src/drill/runner.js';
import { intValue } from '../../src/drill/runner.js';
import type { DrillEnvironment } from '../../src/drill/env.js';
import type { DrillFeatures } from '../../src/drill/features.js';
import { ACK, FIN, PSH, SYN, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';

export const TOY_ISS = 0xfffff000;

export interface ToyOptions {
  /** Payload bytes per data segment the toy sends. */
  segmentSize?: number;
  /** Delay before the toy answers anything (µs). */
  delay?: number;
  /** Options on the SYN-ACK / SYN. */
  synOptions?: TcpOption[];
  /** Window the toy advertises. */
  window?: number;
}

export class ToyHost implements DrillHost {
  time = 0;
  readonly injected: LivePacket[] = [];
  readonly calls: HostSyscall[] = [];
  private readonly out: LivePacket[] = [];
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private timerSeq = 0;
  private env: DrillEnvironment | undefined;
  private peer: { ip: string; port: number } | undefined;
  private sndNxt = TOY_ISS;
  private rcvNxt = 0;
  private established = false;
  private synAckTimer: { cancelled: boolean } | undefined;
  private pendingConnect = false;
  private completed: (HostSyscallResult & { time: number }) | undefined;
  private readonly segmentSize: number;
  private readonly delay: number;
  private readonly synOptions: TcpOption[];
  private readonly window: number;
  private localPort = 8080;

  constructor(opts: ToyOptions = {}) {
    this.segmentSize = opts.segmentSize ?? 1000;
    this.delay = opts.delay ?? 0;
    this.synOptions = opts.synOptions ?? [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' }, { kind: 'nop' }, { kind: 'wscale', shift: 8 }];
    this.window = opts.window ?? 65535;
  }

  setup(env: DrillEnvironment, _features: DrillFeatures): string | undefined {
    this.env = env;
    return undefined;
  }

  now(): number {
    return this.time;
  }

  private at(t: number, fn: () => void): { cancelled: boolean } {
    const h = { cancelled: false };
    this.timers.push({ at: t, seq: this.timerSeq++, fn: () => (h.cancelled ? undefined : fn()) });
    this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    return h;
  }

  advance(until: number, stopOnOutbound: boolean): void {
    for (;;) {
      if (stopOnOutbound && this.out.length > 0) return;
      const t = this.timers[0];
      if (t === undefined || t.at > until) break;
      this.timers.shift();
      this.time = Math.max(this.time, t.at);
      t.fn();
    }
    if (!(stopOnOutbound && this.out.length > 0)) this.time = Math.max(this.time, until);
  }

  private send(flags: number, payloadLength = 0, options: TcpOption[] = []): void {
    const env = this.env!;
    const segment: Segment = {
      srcPort: this.localPort,
      dstPort: this.peer!.port,
      seq: this.sndNxt >>> 0,
      ack: (flags & ACK) !== 0 ? this.rcvNxt >>> 0 : 0,
      flags,
      window: this.window,
      urgent: 0,
      options,
      payload: new Uint8Array(payloadLength),
    };
    const p: LiveTcp = { protocol: 'tcp', time: this.time, ip: { family: 4, src: env.localIp, dst: env.remoteIp, tos: 0, ttl: 64 }, segment };
    this.out.push(p);
  }

  private later(fn: () => void): void {
    if (this.delay === 0) fn();
    else this.at(this.time + this.delay, fn);
  }

  inject(packet: LivePacket): void {
    this.injected.push(packet);
    if (packet.protocol !== 'tcp') return;
    const s = packet.segment;
    if ((s.flags & SYN) !== 0 && (s.flags & ACK) === 0) {
      this.peer = { ip: packet.ip.src, port: s.srcPort };
      this.rcvNxt = (s.seq + 1) >>> 0;
      this.later(() => this.sendSynAck(0));
      return;
    }
    if ((s.flags & SYN) !== 0 && (s.flags & ACK) !== 0 && this.pendingConnect) {
      this.rcvNxt = (s.seq + 1) >>> 0;
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      this.established = true;
      this.pendingConnect = false;
      this.completed = { ret: 0, time: this.time };
      this.send(ACK);
      return;
    }
    if ((s.flags & ACK) !== 0 && !this.established && s.ack === ((TOY_ISS + 1) >>> 0)) {
      this.established = true;
      this.sndNxt = (this.sndNxt + 1) >>> 0;
      if (this.synAckTimer !== undefined) this.synAckTimer.cancelled = true;
    }
    if ((s.flags & FIN) !== 0) {
      this.rcvNxt = (s.seq + s.payload.length + 1) >>> 0;
      this.later(() => this.send(ACK));
    }
  }

  private sendSynAck(retries: number): void {
    const save = this.sndNxt;
    this.sndNxt = TOY_ISS;
    this.send(SYN | ACK, 0, this.synOptions);
    this.sndNxt = save;
    if (retries < 3) this.synAckTimer = this.at(this.time + 1_000_000 * 2 ** retries, () => this.sendSynAck(retries + 1));
  }

  syscall(call: HostSyscall): HostSyscallResult | 'pending' {
    this.calls.push(call);
    const want = intValue(call.result) ?? 0;
    switch (call.name) {
      case 'socket':
      case 'accept':
        return { ret: want };
      case 'connect': {
        this.peer = { ip: this.env!.remoteIp, port: this.env!.connectPort };
        this.localPort = 50123;
        this.pendingConnect = true;
        this.send(SYN, 0, this.synOptions);
        return 'pending';
      }
      case 'write':
      case 'send': {
        const n = intValue(call.args[2]) ?? 0;
        this.later(() => {
          for (let off = 0; off < n; off += this.segmentSize) {
            const len = Math.min(this.segmentSize, n - off);
            this.send(ACK | (off + len === n ? PSH : 0), len);
            this.sndNxt = (this.sndNxt + len) >>> 0;
          }
        });
        return { ret: n };
      }
      case 'close':
        if (this.peer === undefined) return { ret: 0 };
        this.later(() => {
          this.send(FIN | ACK);
          this.sndNxt = (this.sndNxt + 1) >>> 0;
        });
        return { ret: 0 };
      case 'getsockopt':
        return { ret: 0, mismatch: 'Bad getsockopt value: expected 1 but got 0' };
      case 'shutdown':
        return { ret: -1, errno: 'EINVAL' };
      default:
        return { ret: 0 };
    }
  }

  pollSyscall(): (HostSyscallResult & { time: number }) | undefined {
    const c = this.completed;
    this.completed = undefined;
    return c;
  }

  pollOutbound(): LivePacket | undefined {
    return this.out.shift();
  }
}
