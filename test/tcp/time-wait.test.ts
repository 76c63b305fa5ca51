// The compact TIME-WAIT slot against the whole connection.
//
// Each run plays a random connection to its end twice (the harness is
// deterministic, so both plays are identical): in one, the side that closed
// first stays a whole TcpConnection in TIME-WAIT; in the other it becomes a
// slot of a TimeWaitStore and is built again from it, and again after every segment,
// as the stack does. Both then receive the same random segments (old and
// new timestamps, SYNs, RSTs in and out of the window, retransmitted FINs,
// data, ECN-Echo) and timer calls, and must answer alike: the same segments,
// events, deadlines, counters and readings.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Net, MS, S, pattern, drainObserved, lossyPair, configFor, optionChoice, type Observed, type OptionChoice } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import { TcpConnection } from '../../src/tcp/connection.js';
import { TimeWaitStore, TW_FLOATS, TW_INTS } from '../../src/tcp/time-wait.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';

interface History extends OptionChoice {
  aBytes: number;
  bBytes: number;
  /** Who closes first: A, B, or both at once (simultaneous close: CLOSING, then TIME-WAIT on both). */
  first: 'A' | 'B' | 'both';
  lossSeed: number;
  loss: number;
}

const history: fc.Arbitrary<History> = fc.record({
  ...optionChoice,
  aBytes: fc.integer({ min: 0, max: 30_000 }),
  bBytes: fc.integer({ min: 0, max: 30_000 }),
  first: fc.constantFrom<'A' | 'B' | 'both'>('A', 'B', 'both'),
  lossSeed: fc.integer({ min: 1, max: 1_000_000 }),
  loss: fc.constantFrom(0, 0, 0.1),
});

interface Stimulus {
  /** µs after the previous stimulus. */
  dt: number;
  /** A timer call instead of a segment. */
  timer: boolean;
  flags: number;
  /** Offset of SEG.SEQ from RCV.NXT, and of SEG.ACK from SND.NXT. */
  seqOff: number;
  ackOff: number;
  window: number;
  len: number;
  /** Offset of TSval from TS.Recent; undefined: no timestamp option. */
  tsOff: number | undefined;
  sack: boolean;
  ce: boolean;
}

const offsets = fc.oneof(fc.constantFrom(0, -1, 1, -2, 2), fc.integer({ min: -70_000, max: 70_000 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }));
const stimulus: fc.Arbitrary<Stimulus> = fc.record({
  dt: fc.oneof(fc.constantFrom(0, 1, 500 * MS), fc.integer({ min: 0, max: 2 * S }), fc.integer({ min: 0, max: 70 * S })),
  timer: fc.boolean(),
  flags: fc.oneof(
    fc.constantFrom(ACK, ACK | FIN, RST, RST | ACK, SYN, SYN | ACK, ACK | PSH, ACK | ECE, ACK | CWR | ECE),
    fc.integer({ min: 0, max: 0xff }),
  ),
  seqOff: offsets,
  ackOff: offsets,
  window: fc.constantFrom(0, 1, 512, 65535),
  len: fc.constantFrom(0, 0, 1, 100),
  tsOff: fc.option(fc.oneof(fc.constantFrom(0, -1, 1), fc.integer({ min: -(2 ** 31), max: 2 ** 31 })), { nil: undefined }),
  sack: fc.boolean(),
  ce: fc.boolean(),
});

/** Play the history; return the net and the connection that waits in TIME-WAIT (A's if both do). */
function play(h: History): { net: Net; tw: TcpConnection | undefined } {
  const pair = lossyPair(configFor(h), { ...h, settle: 20 * S });
  if (pair === undefined) return { net: new Net(), tw: undefined };
  const { net, a, b } = pair;
  if (h.first === 'A' || h.first === 'both') a.close(net.now);
  if (h.first === 'B' || h.first === 'both') b.close(net.now);
  net.flush();
  net.runFor(5 * S);
  if (h.first === 'A') b.close(net.now);
  if (h.first === 'B') a.close(net.now);
  net.flush();
  net.fate = undefined;
  net.runFor(20 * S);
  const tw = [a, b].find((c) => c.state === 'TIME_WAIT');
  return { net, tw };
}

function segment(c: TcpConnection, s: Stimulus, h: History): Segment {
  const options: TcpOption[] = [];
  if (s.tsOff !== undefined) {
    options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: (h.lossSeed + s.tsOff) >>> 0, ecr: 0 });
  }
  if (s.sack) options.push({ kind: 'sack', blocks: [{ left: (c.sndNxt - 3000) >>> 0, right: (c.sndNxt - 1000) >>> 0 }] });
  return {
    srcPort: c.tuple.remotePort,
    dstPort: c.tuple.localPort,
    seq: (c.rcvNxt + s.seqOff) >>> 0,
    ack: (c.sndNxt + s.ackOff) >>> 0,
    flags: s.flags,
    window: s.window,
    urgent: 0,
    options,
    payload: pattern(s.len, 3),
    ecn: s.ce ? 3 : 0,
  };
}


function readings(c: TcpConnection): unknown {
  return {
    state: c.state,
    deadline: c.nextDeadline(),
    stats: { ...c.stats },
    iss: c.iss,
    irs: c.irs,
    sndUna: c.sndUna,
    sndNxt: c.sndNxt,
    highData: c.highData,
    sndWnd: c.sndWnd,
    rcvNxt: c.rcvNxt,
    rcvWnd: c.rcvWnd,
    rto: c.rto,
    srtt: c.srtt,
    cwnd: c.cwnd,
    ssthresh: c.ssthresh,
    cc: c.congestionControl,
    sacked: c.sackedBytes,
    negotiated: c.negotiated,
    rcvBufSize: c.rcvBufSize,
    sndBufSize: c.sndBufSize,
    readable: c.readableLength,
    writable: c.writableLength,
  };
}

test('a connection built again from its TIME-WAIT slot answers every segment and timer as the whole connection does', () => {
  let compared = 0;
  let runs = 0;
  fc.assert(
    fc.property(history, fc.array(stimulus, { minLength: 1, maxLength: 25 }), (h, stimuli) => {
      runs++;
      const whole = play(h);
      const twin = play(h);
      if (whole.tw === undefined || twin.tw === undefined) return;
      // Slots already in use (and given back in between) must not disturb it.
      const store = new TimeWaitStore();
      const others = [0, 1, 2].map(() => store.take(twin.tw!.tuple, configFor(h)));
      // The slot to be reused holds stale numbers: every field must be written.
      store.intsOf(1).fill(-7, store.intBase(1), store.intBase(1) + TW_INTS);
      store.floatsOf(1).fill(12345.5, store.floatBase(1), store.floatBase(1) + TW_FLOATS);
      store.release(others[1]!);
      const slot = twin.tw.toTimeWait(store);
      // A quiet TIME-WAIT connection (20 s after the close) always compacts.
      assert.ok(slot >= 0, `no slot for a quiet TIME-WAIT connection`);
      compared++;
      const x = whole.tw;
      let y = TcpConnection.fromTimeWait(store, slot);
      assert.equal(store.size, 2, 'the slot was given back');
      assert.deepEqual(readings(y), readings(x), 'right after the record was made');
      let now = whole.net.now;
      assert.equal(twin.net.now, now);
      for (const s of stimuli) {
        now += s.dt;
        const ox: Observed = { segments: [], events: [] };
        const oy: Observed = { segments: [], events: [] };
        if (s.timer) {
          if (x.nextDeadline() <= now) x.onTimer(now);
          if (y.nextDeadline() <= now) y.onTimer(now);
        } else {
          x.onSegment(segment(x, s, h), now);
          y.onSegment(segment(y, s, h), now);
        }
        drainObserved(x, ox);
        drainObserved(y, oy);
        assert.deepEqual(oy, ox);
        assert.deepEqual(readings(y), readings(x));
        // The stack keeps the record again after each service.
        const again = y.toTimeWait(store);
        if (again >= 0) y = TcpConnection.fromTimeWait(store, again);
        if (x.state === 'CLOSED') {
          assert.equal(again, -1);
          break;
        }
      }
    }),
    { numRuns: 300 },
  );
  // Most histories end with a connection in TIME-WAIT: the comparison ran.
  assert.ok(compared >= runs * 0.8, `compared ${compared} of ${runs}`);
});

test('a connection in TIME-WAIT with bytes still to read, or a segment or event waiting, has no record', () => {
  const cfg = profile('linux');
  const net = new Net();
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(cfg, { iss: 1000, tsOffset: 0 });
  net.runFor(500 * MS);
  const b = net.b.conn!;
  assert.equal(a.state, 'ESTABLISHED');
  const store = new TimeWaitStore();
  assert.equal(a.toTimeWait(store), -1, 'ESTABLISHED');
  // B only shuts down its sending side and reads nothing; A sends 500 bytes
  // and its FIN: B reaches TIME-WAIT holding them.
  net.b.autoRead = false;
  b.shutdown(net.now);
  net.flush();
  net.runFor(1 * S);
  a.send(pattern(500, 1), net.now);
  a.close(net.now);
  net.flush();
  net.runFor(1 * S);
  assert.equal(b.state, 'TIME_WAIT');
  assert.equal(b.readableLength, 500);
  assert.equal(b.toTimeWait(store), -1, 'unread bytes');
  assert.equal(b.read(undefined, net.now)?.length, 500);
  const r = b.toTimeWait(store);
  assert.ok(r >= 0, 'quiet once read');
  // A retransmitted FIN: the ACK it draws waits in the queue until drained.
  const fin: Segment = { srcPort: 40000, dstPort: 80, seq: (b.rcvNxt - 1) >>> 0, ack: b.sndNxt, flags: FIN | ACK, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0), ecn: 0 };
  b.onSegment(fin, net.now);
  assert.ok(b.hasOutput);
  assert.equal(b.toTimeWait(store), -1, 'a segment waits');
  while (b.pollTransmit() !== undefined);
  assert.ok(b.toTimeWait(store) >= 0, 'quiet again');
  // 2·MSL later: CLOSED, and no record.
  b.onTimer(b.nextDeadline());
  assert.equal(b.state, 'CLOSED');
  assert.equal(b.toTimeWait(store), -1, 'CLOSED');
  // Each record took a slot of its own; nobody gave them back.
  assert.equal(store.size, 2);
});

test('a TimeWaitStore keeps every slot apart, across its chunks, and reuses the slots given back', () => {
  const store = new TimeWaitStore();
  const cfg = profile('linux');
  const tuples = new Map<number, { localAddr: Uint8Array; localPort: number; remoteAddr: Uint8Array; remotePort: number }>();
  const mark = (slot: number, v: number): void => {
    const n = store.intsOf(slot);
    for (let k = 0; k < TW_INTS; k++) n[store.intBase(slot) + k] = v * 100 + k;
    const f = store.floatsOf(slot);
    for (let k = 0; k < TW_FLOATS; k++) f[store.floatBase(slot) + k] = v + k / 64;
  };
  const check = (slot: number, v: number): void => {
    const n = store.intsOf(slot);
    for (let k = 0; k < TW_INTS; k++) assert.equal(n[store.intBase(slot) + k], v * 100 + k, `slot ${slot} int ${k}`);
    const f = store.floatsOf(slot);
    for (let k = 0; k < TW_FLOATS; k++) assert.equal(f[store.floatBase(slot) + k], v + k / 64, `slot ${slot} float ${k}`);
  };
  const value = new Map<number, number>();
  const take = (v: number): number => {
    const t = { localAddr: new Uint8Array([10, 0, 0, 1]), localPort: 80, remoteAddr: new Uint8Array([10, 0, 0, 2]), remotePort: 1024 + v };
    const s = store.take(t, cfg);
    assert.ok(!value.has(s), `slot ${s} handed out twice`);
    tuples.set(s, t);
    value.set(s, v);
    mark(s, v);
    return s;
  };
  // Three chunks and a part.
  for (let v = 0; v < 700; v++) take(v);
  assert.equal(store.size, 700);
  for (const s of [...value.keys()].filter((s) => s % 3 === 0)) {
    store.release(s);
    value.delete(s);
  }
  assert.throws(() => store.release(3), RangeError, 'a slot given back twice');
  assert.throws(() => store.tuple(3), RangeError);
  const bytes = store.byteLength;
  // As many new ones as were given back: the same slots, no new chunk.
  for (let v = 1000; v < 1234; v++) assert.ok(take(v) < 700, 'a given-back slot is reused first');
  assert.equal(store.byteLength, bytes);
  assert.equal(store.size, 700);
  for (const [s, v] of value) {
    check(s, v);
    assert.equal(store.tuple(s), tuples.get(s));
    assert.equal(store.config(s), cfg);
  }
  take(2000);
  assert.equal(store.size, 701);
});

test('a TimeWaitStore hands out the lowest free slot, keeps what it holds, and lets its last chunks go once they empty (property)', () => {
  const cfg = profile('linux');
  const tuple = { localAddr: new Uint8Array([10, 0, 0, 1]), localPort: 80, remoteAddr: new Uint8Array([10, 0, 0, 2]), remotePort: 1024 };
  const probe = new TimeWaitStore();
  probe.take(tuple, cfg);
  const chunkBytes = probe.byteLength;
  const perChunk = chunkBytes / (TW_INTS * 4 + TW_FLOATS * 8);
  // Steps: a run of takes (sizes about a chunk's edges among them), or
  // giving back a share of the slots in use, picked by a seeded shuffle
  // (all of them, or all but the newest few, as often as not).
  const count = fc.oneof(fc.integer({ min: 1, max: 700 }), fc.constantFrom(255, 256, 257, 511, 512, 513, 768));
  const share = fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.constant(1), fc.constant(0.99));
  const step = fc.oneof(fc.record({ take: count }), fc.record({ release: share, seed: fc.integer() }));
  fc.assert(
    fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), (steps) => {
      const store = new TimeWaitStore();
      const live = new Map<number, number>();
      let stamp = 0;
      for (const st of steps) {
        if ('take' in st) {
          for (let i = 0; i < st.take; i++) {
            let lowest = 0;
            while (live.has(lowest)) lowest++;
            const s = store.take(tuple, cfg);
            assert.equal(s, lowest, 'the lowest slot not in use');
            const v = ++stamp;
            store.intsOf(s)[store.intBase(s)] = v;
            store.floatsOf(s)[store.floatBase(s) + TW_FLOATS - 1] = v + 0.5;
            live.set(s, v);
          }
        } else {
          const slots = [...live.keys()];
          let x = st.seed | 1;
          for (let i = slots.length - 1; i > 0; i--) {
            x ^= x << 13;
            x ^= x >>> 17;
            x ^= x << 5;
            const j = (x >>> 0) % (i + 1);
            [slots[i], slots[j]] = [slots[j]!, slots[i]!];
          }
          for (const s of slots.slice(0, Math.round(st.release * slots.length))) {
            store.release(s);
            live.delete(s);
          }
        }
        assert.equal(store.size, live.size);
        for (const [s, v] of live) {
          assert.equal(store.intsOf(s)[store.intBase(s)], v, `slot ${s} kept its fields`);
          assert.equal(store.floatsOf(s)[store.floatBase(s) + TW_FLOATS - 1], v + 0.5);
        }
        // Chunks up to the highest slot in use, and at most one empty one past it.
        const needed = live.size === 0 ? 0 : Math.floor(Math.max(...live.keys()) / perChunk) + 1;
        const held = store.byteLength / chunkBytes;
        assert.ok(held >= needed, `${held} chunks hold slots of ${needed}`);
        assert.ok(held <= Math.max(needed + 1, 1), `${held} chunks where ${needed} are in use`);
      }
      return true;
    }),
    { numRuns: 100 },
  );
});
