// HyStart++ (RFC 9406): the round/RTT logic on its own, then a connection
// whose initial slow start leaves before the bottleneck queue overflows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CSS_ROUNDS, HyStartPlusPlus, MIN_RTT_THRESH, N_RTT_SAMPLE } from '../../src/tcp/cc/hystart.js';
import { makePair, B4 } from '../stack/helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import type { CongestionControlName } from '../../src/tcp/cc/types.js';

const MSS = 1000;

/**
 * Feed HyStart++ a slow start that doubles (each ACK of one segment sends
 * two), where every ACK of round k carries RTT rtts[k]; rounds are told
 * apart as RFC 9406 defines them (a round ends when the ACK reaches the
 * SND.NXT of its start). Returns the phases of each round's ACKs.
 */
function slowStart(hs: HyStartPlusPlus, rtts: readonly number[]): string[][] {
  const out: string[][] = rtts.map(() => []);
  let una = 0;
  let nxt = 10 * MSS;
  let windowEnd: number | undefined;
  let k = -1;
  for (;;) {
    una += MSS;
    nxt += 2 * MSS;
    if (windowEnd === undefined || una >= windowEnd) {
      windowEnd = nxt;
      if (++k === rtts.length) return out;
    }
    out[k]!.push(hs.onAck(una, nxt, rtts[k]));
  }
}

test('HyStart++: a round whose minimum RTT rose by the threshold enters CSS; CSS_ROUNDS rounds later slow start is done', () => {
  const hs = new HyStartPlusPlus();
  // 20 ms base: the threshold is max(4 ms, min(20/8 ms, 16 ms)) = 4 ms, so
  // 23 ms is not enough; 27.5 ms (+4.5 over the last round) is.
  const rounds = slowStart(hs, [20_000, 20_000, 20_000, 23_000, 27_500, 27_500, 27_500, 27_500, 27_500, 27_500, 27_500]);
  assert.deepEqual(new Set(rounds.slice(0, 4).flat()), new Set(['slow-start']));
  // CSS from the N_RTT_SAMPLE-th sample of the round on.
  assert.equal(rounds[4]!.indexOf('css'), N_RTT_SAMPLE - 1);
  assert.equal(hs.cssEntries, 1);
  // CSS lasts CSS_ROUNDS rounds while the delay stays, then 'done' at the first ACK of the next.
  for (let r = 5; r < 4 + CSS_ROUNDS; r++) assert.deepEqual(new Set(rounds[r]), new Set(['css']), `round ${r}`);
  assert.equal(rounds[4 + CSS_ROUNDS]![0], 'done');
  assert.equal(MIN_RTT_THRESH, 4000);
});

test('HyStart++: the RTT falling back below the baseline of the exit makes it spurious, and slow start resumes', () => {
  const hs = new HyStartPlusPlus();
  const rounds = slowStart(hs, [20_000, 20_000, 30_000, 21_000, 21_000]);
  assert.equal(hs.cssEntries, 1);
  assert.equal(rounds[2]!.at(-1), 'css');
  assert.equal(hs.cssSpurious, 1);
  assert.equal(rounds[3]![N_RTT_SAMPLE - 1], 'slow-start');
  assert.equal(rounds[4]!.at(-1), 'slow-start');
  // A round of fewer than N_RTT_SAMPLE samples decides nothing.
  const quiet = new HyStartPlusPlus();
  let una = 0;
  for (const rtt of [10_000, 50_000]) {
    // Each call starts a round (the ACK reaches the SND.NXT given last), with N-1 samples.
    for (let i = 0; i < N_RTT_SAMPLE - 1; i++) quiet.onAck((una += MSS), una + MSS, rtt);
  }
  assert.equal(quiet.cssEntries, 0);
});

/**
 * 8 MB over 100 Mbit/s with a 20 ms round trip (BDP 250 KB) and a queue of
 * `queue` packets at the bottleneck. Reports the window when ssthresh was
 * first set and when the first retransmission went out.
 */
function transfer(hystart: boolean, cc: CongestionControlName, queue: number): { sender: TcpEndpoint; received: number; firstLossCwnd: number | undefined; exitCwnd: number | undefined } {
  const link = { delay: 10_000, bandwidth: 100e6, queueLimit: queue };
  const p = makePair({ ab: link, ba: link, stack: { tcp: { ...LINUX_PROFILE, rcvBuf: 8 << 20, sndBuf: 8 << 20, hystart, congestionControl: cc } } });
  const l = p.b.tcpListen({ port: 9 });
  let received = 0;
  l.onConnection = (ep) => {
    ep.handler = (ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) received += d.length;
    };
  };
  const sender = p.a.tcpConnect({ remoteAddr: parseAddress(B4)!, remotePort: 9 });
  const data = new Uint8Array(8 << 20);
  let sent = 0;
  sender.handler = (ev) => {
    if (ev.type === 'established' || ev.type === 'writable') sent += sender.send(data.subarray(sent));
  };
  let firstLossCwnd: number | undefined;
  let exitCwnd: number | undefined;
  for (let t = 0; t < 20_000 && received < data.length; t++) {
    const cwnd = sender.conn.cwnd;
    p.clock.runFor(1000);
    if (exitCwnd === undefined && sender.conn.ssthresh < 0x7fffffff) exitCwnd = cwnd;
    if (firstLossCwnd === undefined && sender.conn.stats.retransmits > 0) firstLossCwnd = cwnd;
  }
  return { sender, received, firstLossCwnd, exitCwnd };
}

for (const cc of ['cubic', 'newreno'] as const) {
  test(`HyStart++ (${cc}): behind a deep queue the initial slow start ends on the rising RTT with no loss; plain slow start ends by overflowing it`, () => {
    // 1000 packets: 1.4 MB, about 116 ms of queue.
    const plain = transfer(false, cc, 1000);
    const hs = transfer(true, cc, 1000);
    assert.equal(plain.received, 8 << 20);
    assert.equal(hs.received, 8 << 20);
    assert.ok(plain.firstLossCwnd !== undefined && plain.exitCwnd === plain.firstLossCwnd, 'plain slow start: ssthresh first set by a loss');
    assert.ok(plain.firstLossCwnd > 1_500_000, `plain slow start grew to ${plain.firstLossCwnd} before the loss`);
    assert.equal(hs.sender.conn.stats.retransmits, 0, 'no loss with HyStart++');
    // Above the path's BDP (250 KB), far below where plain slow start lost.
    assert.ok(hs.exitCwnd !== undefined && hs.exitCwnd > 250_000 && hs.exitCwnd < 1_000_000, `left slow start at cwnd ${hs.exitCwnd}`);
  });
}

test('HyStart++ behind a shallower queue (300 packets): CSS overshoots less, with a quarter of the retransmissions or fewer', () => {
  const plain = transfer(false, 'cubic', 300);
  const hs = transfer(true, 'cubic', 300);
  assert.equal(hs.received, 8 << 20);
  assert.ok(hs.firstLossCwnd! < plain.firstLossCwnd!, `loss at cwnd ${hs.firstLossCwnd} against ${plain.firstLossCwnd}`);
  assert.ok(4 * hs.sender.conn.stats.retransmits <= plain.sender.conn.stats.retransmits, `${hs.sender.conn.stats.retransmits} retransmissions against ${plain.sender.conn.stats.retransmits}`);
});
