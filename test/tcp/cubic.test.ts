// CUBIC (RFC 9438) in a simulated long transfer: after one loss, the
// congestion window follows W(t) = C·(t − K)³ + W_max with C = 0.4 and
// K = ∛((W_max − cwnd_epoch)/C), computed here from the RFC's formula and
// the windows observed before and after the loss.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS, S, pattern } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import { Cubic } from '../../src/tcp/cc/cubic.js';
import { NewReno } from '../../src/tcp/cc/newreno.js';

const C = 0.4;
const BETA = 0.7;

test('CUBIC: cwnd follows C·(t−K)³ + W_max within 5% over a long transfer after one loss', () => {
  const cfg = profile('linux', { rcvBuf: 32 << 20, sndBuf: 32 << 20, delayedAck: 0 });
  const net = new Net();
  net.delay = 50 * MS; // RTT 100 ms
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(cfg, { tsOffset: 0 });
  net.runFor(200 * MS);
  assert.equal(a.congestionControl, 'cubic');
  const mss = a.negotiated.mss;
  // Keep the send buffer full: the transfer is limited by cwnd only.
  const chunk = pattern(1 << 20, 9);
  const refill = (): void => {
    while (a.writableLength > 0) a.send(chunk.subarray(0, Math.min(chunk.length, a.writableLength)), net.now);
  };
  net.b.onEvent = () => {};
  let dropped = false;
  let wMaxBytes = 0;
  let lossAt = 0;
  net.fate = (s) => {
    // W_max: the window as it was when the last segment before the loss reaction left.
    if (s.from === 'A' && s.seg.payload.length > 0 && a.stats.fastRetransmits === 0) wMaxBytes = a.cwnd;
    // One loss once slow start has taken the window past 120 segments.
    if (!dropped && s.from === 'A' && s.seg.payload.length > 0 && a.cwnd >= 120 * mss) {
      dropped = true;
      lossAt = s.t;
      return true;
    }
    return false;
  };
  refill();
  // Until the loss is detected.
  while (a.stats.fastRetransmits === 0) {
    net.runFor(1 * MS);
    refill();
    assert.ok(net.now < 20 * S, 'no loss detected');
  }
  assert.ok(dropped && lossAt > 0);
  assert.equal(a.stats.timeouts, 0);
  // Recovery lasts one round trip; the epoch starts with the first ACK after it.
  const cwndEpoch = a.ssthresh / mss;
  const wMax = wMaxBytes / mss;
  const t0 = net.now + 100 * MS;
  const K = Math.cbrt((wMax - cwndEpoch) / C);
  // β_cubic = 0.7 of the flight (≈ the window) at the loss.
  assert.ok(Math.abs(cwndEpoch / wMax - BETA) < 0.03, `ssthresh ${cwndEpoch} vs W_max ${wMax}`);
  const checked: string[] = [];
  let worst = 0;
  for (let t = 1 * S; t <= K * S + 2 * S; t += 250 * MS) {
    while (net.now < t0 + t) {
      net.runFor(5 * MS);
      refill();
    }
    const w = C * ((net.now - t0) / S - K) ** 3 + wMax;
    const got = a.cwnd / mss;
    const err = Math.abs(got - w) / w;
    worst = Math.max(worst, err);
    checked.push(`t=${((net.now - t0) / S).toFixed(2)} cwnd=${got.toFixed(1)} W=${w.toFixed(1)}`);
  }
  assert.ok(checked.length >= 15);
  assert.ok(worst < 0.05, `worst ${(worst * 100).toFixed(1)}%\n${checked.join('\n')}`);
  assert.equal(a.stats.timeouts, 0);
  assert.equal(a.stats.fastRetransmits, 1);
});

test('CUBIC unit: reduction by β = 0.7, fast convergence, timeout to one segment', () => {
  const mss = 1000;
  const c = new Cubic(mss, 10 * mss);
  c.ssthresh = 10 * mss; // congestion avoidance from the start
  c.cwnd = 100 * mss;
  c.onCongestion(100 * mss, 0);
  assert.equal(c.ssthresh, 70 * mss);
  assert.equal(c.wMax, 100);
  // A second loss below the previous W_max releases more: W_max = cwnd·(1 + β)/2 (RFC 9438 §4.7).
  c.cwnd = 80 * mss;
  c.onCongestion(80 * mss, 1);
  assert.equal(c.wMax, (80 * 1.7) / 2);
  assert.equal(c.ssthresh, 56 * mss);
  c.onTimeout(60 * mss, 2);
  assert.equal(c.cwnd, mss);
  assert.equal(c.ssthresh, 42 * mss);
});

test('NewReno unit: slow start by at most one MSS per ACK, then one MSS per window', () => {
  const mss = 1000;
  const r = new NewReno(mss, 10 * mss);
  r.onAck(5 * mss);
  assert.equal(r.cwnd, 11 * mss);
  r.onCongestion(20 * mss);
  assert.equal(r.ssthresh, 10 * mss);
  r.cwnd = 10 * mss;
  for (let i = 0; i < 9; i++) r.onAck(mss);
  assert.equal(r.cwnd, 10 * mss);
  r.onAck(mss);
  assert.equal(r.cwnd, 11 * mss);
});
