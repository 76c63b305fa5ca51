// Header prediction against the full path of segment processing.
//
// Each run plays a random connection twice (the harness is deterministic):
// once with header prediction on, once with it off. The receiving side of
// both then gets the same random stimuli, most of them the very segments
// prediction is for (the next data in order, the ACK and window unchanged,
// a fresh timestamp), the rest near misses (one field off: a new ACK, a
// changed window, an old timestamp, a SACK block, CE, a flag), reads and
// writes by the application (so that the window moves and data is in
// flight) and timer calls. Both must answer alike: the same segments and
// events, and the same state, down to the fields only later segments would
// show (SND.WL1/WL2, TS.Recent and its age, the receive-side RTT).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Net, MS, S, pattern, drainObserved, lossyPair, configFor, optionChoice, type Observed, type OptionChoice } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import { setHeaderPrediction, type TcpConnection } from '../../src/tcp/connection.js';
import { ACK, CWR, ECE, FIN, PSH, RST, SYN, URG, type Segment, type TcpOption } from '../../src/wire/tcp-types.js';

interface History extends OptionChoice {
  /** Receive buffer auto-tuning (which keeps the receive-side RTT the data's timestamps give). */
  autotune: boolean;
  /** Bytes each way before the stimuli. */
  aBytes: number;
  bBytes: number;
  lossSeed: number;
  loss: number;
}

const history: fc.Arbitrary<History> = fc.record({
  ...optionChoice,
  autotune: fc.boolean(),
  aBytes: fc.constantFrom(0, 1, 5000, 40_000),
  bBytes: fc.constantFrom(0, 1, 5000),
  lossSeed: fc.integer({ min: 1, max: 1_000_000 }),
  loss: fc.constantFrom(0, 0, 0.1),
});

type Stimulus =
  | { kind: 'segment'; dt: number; seqOff: number; ackAll: boolean; ackOff: number; windowOff: number; len: number; flags: number; tsOff: number | undefined; ecrAgo: number | undefined; sack: 'none' | 'above' | 'dsack'; ce: boolean }
  | { kind: 'read'; dt: number; max: number }
  | { kind: 'send'; dt: number; len: number }
  | { kind: 'timer'; dt: number };

const near = (usual: number): fc.Arbitrary<number> => fc.oneof({ weight: 20, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1, -1448, 1448) }, { weight: 1, arbitrary: fc.integer({ min: -70_000, max: 70_000 }) });

const segmentStimulus = fc.record({
  kind: fc.constant('segment' as const),
  dt: fc.oneof(fc.constantFrom(0, 0, 1, 100), fc.integer({ min: 0, max: 300 * MS })),
  seqOff: near(0),
  /** Acknowledge everything sent (a new ACK when data is in flight), else SND.UNA + ackOff. */
  ackAll: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  /** From SND.UNA: 0 acknowledges nothing new. */
  ackOff: near(0),
  windowOff: near(0),
  len: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(1, 100, 1448, 1448, 1448) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 70_000 }) }),
  flags: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom(ACK, ACK | PSH) },
    { weight: 1, arbitrary: fc.constantFrom(ACK | FIN, ACK | URG, ACK | ECE, ACK | CWR, ACK | SYN, ACK | RST, 0, PSH) },
  ),
  tsOff: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(0, 1, 10) }, { weight: 1, arbitrary: fc.constantFrom(-1, -(2 ** 30)) }, { weight: 1, arbitrary: fc.constant(undefined) }),
  /** TSecr: our clock this many ms ago, or 0 (undefined). */
  ecrAgo: fc.option(fc.constantFrom(0, 1, 50), { nil: undefined }),
  /** A SACK block above SND.UNA, or a D-SACK block below it (RFC 2883). */
  sack: fc.oneof({ weight: 20, arbitrary: fc.constant('none' as const) }, { weight: 1, arbitrary: fc.constantFrom('above' as const, 'dsack' as const) }),
  ce: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

const stimulus: fc.Arbitrary<Stimulus> = fc.oneof(
  { weight: 12, arbitrary: segmentStimulus },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('read' as const), dt: fc.constantFrom(0, 10 * MS), max: fc.constantFrom(1, 1000, 100_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('send' as const), dt: fc.constantFrom(0, 10 * MS), len: fc.constantFrom(1, 3000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('timer' as const), dt: fc.integer({ min: 0, max: 2 * S }) }) },
);

/** Play the history with header prediction on or off; return the net and B's connection. */
function play(h: History, prediction: boolean): { net: Net; b: TcpConnection | undefined } {
  setHeaderPrediction(prediction);
  try {
    const pair = lossyPair(configFor(h, h.autotune ? { rcvBufMax: 1 << 20 } : {}), { ...h, settle: 30 * S });
    if (pair === undefined) return { net: new Net(), b: undefined };
    const { net, b } = pair;
    // From here on the stimuli speak for A: B's answers go nowhere.
    net.fate = () => true;
    return { net, b };
  } finally {
    setHeaderPrediction(true);
  }
}

/** A private field of the connection (both sides are the same class: only a comparison reads these). */
function field(c: TcpConnection, name: string): unknown {
  return (c as unknown as Record<string, unknown>)[name];
}

function segment(c: TcpConnection, s: Extract<Stimulus, { kind: 'segment' }>, now: number): Segment {
  const options: TcpOption[] = [];
  const tsRecent = field(c, 'tsRecent') as number;
  const tsNow = (field(c, 'tsNow') as (now: number) => number).call(c, now);
  const ecr = s.ecrAgo === undefined ? 0 : (tsNow - s.ecrAgo) >>> 0;
  if (s.tsOff !== undefined) options.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: (tsRecent + s.tsOff) >>> 0, ecr });
  if (s.sack === 'above') options.push({ kind: 'sack', blocks: [{ left: (c.sndUna + 10) >>> 0, right: (c.sndUna + 20) >>> 0 }] });
  if (s.sack === 'dsack') options.push({ kind: 'sack', blocks: [{ left: (c.sndUna - 20) >>> 0, right: (c.sndUna - 10) >>> 0 }] });
  const shift = c.negotiated.sndWscale;
  const window = Math.max(0, Math.min(0xffff, Math.floor(c.sndWnd / 2 ** shift) + s.windowOff));
  return {
    srcPort: c.tuple.remotePort,
    dstPort: c.tuple.localPort,
    seq: (c.rcvNxt + s.seqOff) >>> 0,
    ack: (s.ackAll ? c.sndNxt : c.sndUna + s.ackOff) >>> 0,
    flags: s.flags,
    window,
    urgent: 0,
    options,
    payload: pattern(s.len, 3),
    ecn: s.ce ? 3 : 0,
  };
}

/** What a connection said, and what its reads returned. */
interface ObservedReads extends Observed {
  read: number[];
}

/** Everything a segment can change, the predicted counter aside. */
function readings(c: TcpConnection): unknown {
  const { predictedIn: _, ...stats } = c.stats;
  const internal: Record<string, unknown> = {};
  for (const name of ['sndWl1', 'sndWl2', 'tsRecent', 'tsRecentAt', 'persistProbes', 'rackAt', 'lastAckSent', 'rcvAdv', 'unackedBytes', 'unackedSegments', 'quickAcks', 'dackAt', 'ackNow', 'lastDataAt', 'lastRcvAt', 'rcvMss', 'maxSndWnd', 'dsack', 'rcvFinSeq', 'finReceived', 'outHold']) {
    internal[name] = field(c, name);
  }
  const space = field(c, 'rcvSpace') as { rtt?: number } | undefined;
  return {
    state: c.state,
    deadline: c.nextDeadline(),
    stats,
    sndUna: c.sndUna,
    sndNxt: c.sndNxt,
    sndWnd: c.sndWnd,
    rcvNxt: c.rcvNxt,
    rcvWnd: c.rcvWnd,
    rto: c.rto,
    srtt: c.srtt,
    cwnd: c.cwnd,
    ssthresh: c.ssthresh,
    readable: c.readableLength,
    writable: c.writableLength,
    rcvBufSize: c.rcvBufSize,
    rcvRtt: space?.rtt,
    internal,
  };
}

test('header prediction takes segments exactly as the full path does', () => {
  let predicted = 0;
  let compared = 0;
  let runs = 0;
  fc.assert(
    fc.property(history, fc.array(stimulus, { minLength: 20, maxLength: 60, size: 'max' }), (h, stimuli) => {
      runs++;
      const on = play(h, true);
      const off = play(h, false);
      if (on.b === undefined || off.b === undefined) return;
      compared++;
      const x = on.b;
      const y = off.b;
      assert.deepEqual(readings(y), readings(x), 'after the history');
      let now = on.net.now;
      for (const s of stimuli) {
        now += s.dt;
        const ox: ObservedReads = { segments: [], events: [], read: [] };
        const oy: ObservedReads = { segments: [], events: [], read: [] };
        const before = x.stats.predictedIn;
        for (const [c, o, prediction] of [[x, ox, true], [y, oy, false]] as const) {
          setHeaderPrediction(prediction);
          try {
            switch (s.kind) {
              case 'segment':
                c.onSegment(segment(c, s, now), now);
                break;
              case 'read':
                o.read.push(c.read(s.max, now)?.length ?? 0);
                break;
              case 'send':
                c.send(pattern(s.len, 4), now);
                break;
              case 'timer':
                if (c.nextDeadline() <= now) c.onTimer(now);
                break;
            }
          } finally {
            setHeaderPrediction(true);
          }
          drainObserved(c, o);
        }
        predicted += x.stats.predictedIn - before;
        assert.equal(y.stats.predictedIn, 0, 'prediction was off');
        assert.deepEqual(oy, ox, `answers to ${JSON.stringify(s)}`);
        assert.deepEqual(readings(y), readings(x), `state after ${JSON.stringify(s)}`);
        if (x.state === 'CLOSED') break;
      }
    }),
    { numRuns: 300 },
  );
  assert.ok(compared >= runs * 0.8, `compared ${compared} of ${runs}`);
  // The stimuli are mostly what prediction is for: it took a good share of them.
  assert.ok(predicted >= runs * 5, `header prediction took ${predicted} segments in ${runs} runs`);
});

test('a one-way transfer takes its data segments by header prediction', () => {
  const cfg = profile('linux');
  const net = new Net();
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(cfg, { iss: 1000, tsOffset: 0 });
  net.runFor(500 * MS);
  a.send(pattern(100_000, 1), net.now);
  net.flush();
  net.runFor(10 * S);
  const b = net.b.conn!;
  assert.equal(b.stats.bytesIn, 100_000);
  assert.deepEqual(net.b.receivedBytes(), pattern(100_000, 1));
  // All but the segments that came while B's window or A's ACK was moving.
  assert.ok(b.stats.predictedIn >= b.stats.segmentsIn * 0.8, `${b.stats.predictedIn} of ${b.stats.segmentsIn} segments predicted`);
});
