// Fuzzing the stack with fast-check: two stacks run a whole connection (a
// handshake, 20 KB from client to server, both sides closing, TIME_WAIT)
// while an attacker who knows the 4-tuple injects random and mutated
// segments into both directions at random moments, so that they land in
// every state from SYN_SENT to TIME_WAIT. Invariants:
//  - nothing the stack is fed throws (every packet is counted and dropped
//    or handled);
//  - the server reads a prefix of what the client sent, and all of it
//    unless a connection failed (an injected RST or SYN that happened to be
//    exact can legitimately reset it; injected data lies outside the window
//    or repeats the genuine bytes, so a byte that differs is corruption);
//  - every state change is one that RFC 9293 §3.3.2 (Figure 5) allows.
//
// The CI run feeds at least 100,000 segments; FUZZ_INPUTS sets another
// total (`npm run fuzz` for a long local run) and FUZZ_SEED a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair } from '../../src/sim/device.js';
import { Stack } from '../../src/stack/stack.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import type { TcpState } from '../../src/tcp/types.js';
import type { TcpOption } from '../../src/wire/tcp-types.js';
import { optionsSize } from '../../src/tcp/options.js';
import { ip, rawTcp, seg } from '../stack/hostile-raw.js';

const A4 = '10.0.0.1';
const B4 = '10.0.0.2';
const STREAM = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 131 + (i >>> 8)) & 0xff);
const PER_RUN = 100;
const TOTAL = Number(process.env.FUZZ_INPUTS ?? 100_000);
const SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : 0x5eed;

/** RFC 9293 Figure 5, plus CLOSED from every state (RST, abort, timeouts). */
const LEGAL: Record<TcpState, readonly TcpState[]> = {
  CLOSED: ['SYN_SENT', 'LISTEN'],
  LISTEN: ['SYN_RECEIVED', 'SYN_SENT', 'CLOSED'],
  SYN_SENT: ['SYN_RECEIVED', 'ESTABLISHED', 'CLOSED'],
  SYN_RECEIVED: ['ESTABLISHED', 'FIN_WAIT_1', 'CLOSED'],
  ESTABLISHED: ['FIN_WAIT_1', 'CLOSE_WAIT', 'CLOSED'],
  FIN_WAIT_1: ['FIN_WAIT_2', 'CLOSING', 'TIME_WAIT', 'CLOSED'],
  FIN_WAIT_2: ['TIME_WAIT', 'CLOSED'],
  CLOSE_WAIT: ['LAST_ACK', 'CLOSED'],
  CLOSING: ['TIME_WAIT', 'CLOSED'],
  LAST_ACK: ['CLOSED'],
  TIME_WAIT: ['CLOSED'],
};

/** What the attacker injects; sequence fields are chosen relative to the target's state when it is sent. */
type Injection = {
  at: number;
  when: TcpState;
  toServer: boolean;
  kind: 'segment' | 'replay' | 'garbage';
  flags: number;
  seqMode: 'rcvNxt' | 'near' | 'far' | 'random';
  seqDelta: number;
  ackMode: 'sndNxt' | 'near' | 'random';
  ackDelta: number;
  window: number;
  options: TcpOption[];
  payloadLen: number;
  bytes: Uint8Array;
};

const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
  fc.constant<TcpOption>({ kind: 'nop' }),
  fc.integer({ min: 0, max: 0xffff }).map((mss): TcpOption => ({ kind: 'mss', mss })),
  fc.integer({ min: 0, max: 255 }).map((shift): TcpOption => ({ kind: 'wscale', shift })),
  fc.constant<TcpOption>({ kind: 'sackOK' }),
  fc.tuple(fc.nat(), fc.nat()).map(([val, ecr]): TcpOption => ({ kind: 'timestamp', val: val >>> 0, ecr: ecr >>> 0 })),
  fc.array(fc.tuple(fc.nat(), fc.nat({ max: 5000 })), { minLength: 1, maxLength: 3 }).map((bs): TcpOption => ({ kind: 'sack', blocks: bs.map(([l, n]) => ({ left: l >>> 0, right: (l + n) >>> 0 })) })),
);

/** The states each end passes through in the scripted lifecycle (the client closes first). */
const TARGETS: ReadonlyArray<{ toServer: boolean; when: TcpState }> = [
  ...(['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'TIME_WAIT'] as const).map((when) => ({ toServer: false, when })),
  ...(['SYN_RECEIVED', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK'] as const).map((when) => ({ toServer: true, when })),
];

const injectionArb: fc.Arbitrary<Injection> = fc.record({
  // Sent this long after the target enters `when` (or never, if it does not).
  at: fc.integer({ min: 0, max: 3000 }),
  target: fc.constantFrom(...TARGETS),
  kind: fc.constantFrom<Injection['kind']>('segment', 'segment', 'segment', 'replay', 'garbage'),
  flags: fc.integer({ min: 0, max: 0x1ff }),
  seqMode: fc.constantFrom<Injection['seqMode']>('rcvNxt', 'near', 'far', 'random'),
  seqDelta: fc.integer({ min: -70_000, max: 70_000 }),
  ackMode: fc.constantFrom<Injection['ackMode']>('sndNxt', 'near', 'random'),
  ackDelta: fc.integer({ min: -70_000, max: 70_000 }),
  window: fc.integer({ min: 0, max: 0xffff }),
  options: fc.array(optionArb, { maxLength: 4 }),
  payloadLen: fc.integer({ min: 0, max: 64 }),
  bytes: fc.uint8Array({ minLength: 0, maxLength: 80 }),
}).map(({ target, ...rest }) => ({ ...rest, ...target }));

let inputs = 0;
const statesHit = new Map<string, number>();

function run(injections: Injection[], linkSeed: number): void {
  const clock = new VirtualClock();
  const rng = new Rng(linkSeed);
  const link = createLinkPair(clock, rng.fork('link'), { ab: { delay: 2000 }, ba: { delay: 2000 } });
  const a = new Stack({ clock, random: rng.fork('a') });
  const b = new Stack({ clock, random: rng.fork('b') });
  a.addInterface({ device: link.a, addresses: `${A4}/24` });
  b.addInterface({ device: link.b, addresses: `${B4}/24` });
  const illegal: string[] = [];
  const watch = (ep: TcpEndpoint, from: TcpState, to: TcpState): void => {
    if (!LEGAL[from].includes(to)) illegal.push(`${ep.localPort}: ${from} → ${to}`);
  };
  const pending: Injection[] = [];
  /** Each injection goes out once, on the first state change that names it. */
  const fired = new Set<Injection>();
  const onState = (toServer: boolean, ep: TcpEndpoint, from: TcpState, to: TcpState): void => {
    watch(ep, from, to);
    if (ep.localPort !== 80 && toServer) return;
    for (const inj of injections) {
      if (inj.toServer === toServer && inj.when === to && !fired.has(inj)) {
        fired.add(inj);
        pending.push(inj);
      }
    }
    while (pending.length > 0) {
      const inj = pending.shift()!;
      clock.setTimer(clock.now() + inj.at, () => fire(inj));
    }
  };
  a.onConnEvent = (ep, ev) => ev.type === 'state' && onState(false, ep, ev.from, ev.to);
  b.onConnEvent = (ep, ev) => ev.type === 'state' && onState(true, ep, ev.from, ev.to);

  const l = b.tcpListen({ port: 80 });
  const received: Uint8Array[] = [];
  let server: TcpEndpoint | undefined;
  let failed = false;
  l.onConnection = (ep) => {
    server ??= ep;
    ep.setHandler((ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) if (ep === server) received.push(d);
      // The server lingers 5 ms in CLOSE_WAIT before closing.
      if (ev.type === 'eof') clock.setTimer(clock.now() + 5000, () => ep.close());
      if (ev.type === 'error') failed = true;
    });
  };
  const client = a.tcpConnect({ remoteAddr: ip(B4), remotePort: 80 });
  let off = 0;
  const pump = (): void => {
    while (off < STREAM.length) {
      const n = client.send(STREAM.subarray(off, Math.min(off + 4096, STREAM.length)));
      if (n === 0) break;
      off += n;
    }
    if (off === STREAM.length) client.shutdown();
  };
  client.setHandler((ev) => {
    if (ev.type === 'established' || ev.type === 'writable') pump();
    if (ev.type === 'eof') client.close();
    if (ev.type === 'error') failed = true;
  });

  function fire(inj: Injection): void {
    {
      inputs++;
      const target = inj.toServer ? server : client;
      const conn = target?.conn;
      if (conn !== undefined) statesHit.set(conn.state, (statesHit.get(conn.state) ?? 0) + 1);
      const src = inj.toServer ? A4 : B4;
      const dst = inj.toServer ? B4 : A4;
      const srcPort = inj.toServer ? client.localPort : 80;
      const dstPort = inj.toServer ? 80 : client.localPort;
      const send = (p: Uint8Array): void => (inj.toServer ? link.ab.send(p) : link.ba.send(p));
      if (inj.kind === 'garbage') {
        // Raw bytes after a valid IPv4 header start, or no header at all.
        const p = new Uint8Array(20 + inj.bytes.length);
        p.set([0x45, 0, 0, p.length, 0, 0, 0, 0, 64, 6, 0, 0], 0);
        p.set(ip(src), 12);
        p.set(ip(dst), 16);
        p.set(inj.bytes, 20);
        send(inj.flags & 1 ? p : inj.bytes);
        return;
      }
      const rcvNxt = conn?.rcvNxt ?? 0;
      const sndNxt = conn?.sndNxt ?? 0;
      let seq: number;
      let payload = new Uint8Array(0);
      if (inj.kind === 'replay' && inj.toServer && server !== undefined) {
        // A copy of genuine stream bytes at their own sequence numbers (a duplicate), mutated elsewhere.
        const irs = server.conn.irs;
        const start = Math.max(0, Math.min(STREAM.length - 1, (rcvNxt - irs - 1 + inj.seqDelta) | 0));
        payload = STREAM.slice(start, Math.min(STREAM.length, start + inj.payloadLen));
        seq = (irs + 1 + start) >>> 0;
      } else {
        // A blind attacker: its RST never lands exactly on RCV.NXT (that one would reset, as it must).
        const mode = (inj.flags & 0x004) !== 0 && inj.seqMode === 'rcvNxt' ? 'near' : inj.seqMode;
        const delta = mode === 'near' && inj.seqDelta === 0 ? 1 : inj.seqDelta;
        seq = mode === 'rcvNxt' ? rcvNxt : mode === 'near' ? rcvNxt + delta : mode === 'far' ? rcvNxt + 0x40000000 + delta : delta * 61_417;
        seq >>>= 0;
        // Data only far outside any window: in-window bytes from a blind attacker are not TCP's to detect.
        if (inj.payloadLen > 0 && inj.seqMode === 'far') payload = inj.bytes.slice(0, inj.payloadLen);
      }
      const ack = (inj.ackMode === 'sndNxt' ? sndNxt : inj.ackMode === 'near' ? sndNxt + inj.ackDelta : inj.ackDelta * 92_821) >>> 0;
      // Keep what fits the 40 bytes of option space.
      const options = inj.options.slice();
      while (optionsSize(options) > 40) options.pop();
      send(rawTcp(src, dst, seg({ srcPort, dstPort, seq, ack, flags: inj.flags, window: inj.window, options, payload })));
    }
  }
  clock.runFor(1_000_000);
  clock.runFor(200_000_000);

  assert.deepEqual(illegal, [], 'illegal state transitions');
  const got = Buffer.concat(received);
  assert.ok(got.length <= STREAM.length, `read ${got.length} bytes, more than were sent`);
  assert.ok(got.equals(Buffer.from(STREAM.subarray(0, got.length))), 'the stream read differs from the stream sent');
  const reset = failed || a.stats.tcpResetsIn > 0 || b.stats.tcpResetsIn > 0 || client.state !== 'CLOSED' || server?.state !== 'CLOSED';
  if (!reset) assert.equal(got.length, STREAM.length, 'a connection that closed cleanly delivered everything');
}

test(`fuzz: random and mutated segments in every state (at least ${TOTAL} inputs)`, () => {
  let runs = 0;
  for (let round = 0; inputs < TOTAL; round++) {
    fc.assert(
      fc.property(fc.array(injectionArb, { minLength: PER_RUN, maxLength: PER_RUN }), fc.nat(), (injections, linkSeed) => run(injections, linkSeed)),
      { numRuns: 50, seed: SEED + round },
    );
    runs += 50;
  }
  const states = [...statesHit.entries()].sort().map(([s, n]) => `${s} ${n}`).join(', ');
  console.log(`fuzz: ${inputs} segments injected in ${runs} runs; by state of the target: ${states}`);
  assert.ok(inputs >= TOTAL);
  for (const s of ['SYN_RECEIVED', 'ESTABLISHED', 'FIN_WAIT_1', 'FIN_WAIT_2', 'CLOSE_WAIT', 'LAST_ACK', 'TIME_WAIT', 'SYN_SENT']) {
    assert.ok((statesHit.get(s) ?? 0) > 0, `no input reached ${s}`);
  }
});
