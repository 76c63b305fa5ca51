// RACK-TLP (RFC 8985): the segment log and its loss detection in isolation,
// then in a connection: reordering within the window is tolerated, a lost
// retransmission is found without a timeout, and a tail loss is repaired by
// a probe instead of an RTO.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rack, probeTimeout, WC_DEL_ACK } from '../../src/tcp/rack.js';
import { MS, S, pattern, dump, connected, isDataFromA, DATA0, type Net, type Sent } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import type { TcpConnection } from '../../src/tcp/connection.js';

const M = 1000; // segment size in the unit tests

/** Log n segments of M bytes from seq 0, all sent at time t. */
function sent(n: number, t: number): Rack {
  const r = new Rack();
  for (let i = 0; i < n; i++) assert.equal(r.onTransmit(i * M, (i + 1) * M, t), false);
  return r;
}

test('rack: segments sent before a delivered one are lost once RACK.rtt has passed (reo_wnd 0 after 3 SACKed)', () => {
  const r = sent(6, 0);
  // Segments 3, 4, 5 SACKed 20 ms later; nothing reordered yet, so the window is 0.
  r.onAck(0, [{ left: 3 * M, right: 6 * M }], 20 * MS, undefined);
  assert.equal(r.reoWnd(false, 20 * MS), 0);
  // Same send time: 0, 1, 2 count as sent "before" by sequence (RFC 8985 §6.2 tie rule).
  const d = r.detectLoss(20 * MS, 0);
  assert.deepEqual(d, { lost: 3, timeout: 0 });
  assert.equal(r.pipe, 0);
  assert.deepEqual(r.firstLost(), { start: 0, end: M });
  // Resending the first puts it back in the pipe.
  assert.equal(r.onTransmit(0, M, 21 * MS), true);
  assert.equal(r.pipe, M);
  assert.deepEqual(r.firstLost(), { start: M, end: 2 * M });
});

test('rack: once reordering is seen, a segment within reo_wnd waits for the reordering timer', () => {
  const r = sent(4, 0);
  // Segment 2 is delivered first, then segment 1: an original delivered below
  // the highest delivered sequence number is reordering (RFC 8985 §6.2 step 3).
  r.onAck(0, [{ left: 2 * M, right: 3 * M }], 20 * MS, undefined);
  r.onAck(0, [{ left: M, right: 3 * M }], 21 * MS, undefined);
  assert.equal(r.reorderingSeen, true);
  const w = r.reoWnd(false, 20 * MS);
  assert.equal(w, 20 * MS / 4); // min_RTT / 4
  // Segment 0 (sent with the others at 0) is not yet overdue: RACK.rtt is
  // the last delivered segment's, 21 ms, so it is lost at 0 + 21 + 5 ms.
  const d = r.detectLoss(21 * MS, w);
  assert.equal(d.lost, 0);
  assert.equal(d.timeout, w);
  // When the timer fires, it is.
  assert.equal(r.detectLoss(21 * MS + d.timeout, w).lost, 1);
  assert.deepEqual(r.firstLost(), { start: 0, end: M });
});

test('rack: a lost retransmission is found when a segment sent after it is delivered', () => {
  const r = sent(5, 0);
  r.onAck(0, [{ left: M, right: 5 * M }], 20 * MS, undefined);
  assert.equal(r.detectLoss(20 * MS, 0).lost, 1);
  r.onTransmit(0, M, 20 * MS); // the retransmission, itself lost later
  r.onTransmit(5 * M, 6 * M, 30 * MS); // new data after it
  r.onAck(0, [{ left: M, right: 6 * M }], 50 * MS, undefined);
  // Sent before segment 5, which was delivered, and RACK.rtt (20 ms) ago: lost again.
  assert.equal(r.detectLoss(50 * MS, 0).lost, 1);
  assert.deepEqual(r.firstLost(), { start: 0, end: M });
});

test('rack: an ACK that echoes the first transmission does not count as the retransmission delivered', () => {
  const r = sent(3, 0);
  r.onAck(0, [{ left: M, right: 3 * M }], 20 * MS, undefined);
  r.detectLoss(20 * MS, 0);
  r.onTransmit(0, M, 20 * MS);
  // The cumulative ACK echoes a timestamp from 0 ms: the original arrived late.
  r.onAck(M, undefined, 21 * MS, 0);
  assert.equal(r.records, 2);
  // RACK kept the delivered segment sent at 0 (segment 2), not the resend at 20 ms.
  r.onTransmit(3 * M, 4 * M, 22 * MS);
  assert.equal(r.detectLoss(60 * MS, 0).lost, 0);
});

test('TLP: a lone lost segment is probed in place of the RTO, so cwnd does not collapse', () => {
  const { net, a } = setup(profile('linux'));
  const mss = a.negotiated.mss;
  let dropped = false;
  net.fate = (s) => isData(s) && s.seg.seq === DATA0 + 9 * mss && !dropped && (dropped = true);
  a.send(pattern(10 * mss, 2), net.now);
  net.runFor(2 * S);
  assert.equal(a.sndUna, DATA0 + 10 * mss);
  assert.equal(a.stats.timeouts, 0, dump(net));
  assert.equal(a.stats.tailLossProbes, 1);
  // The probe repaired a real loss (no D-SACK): one multiplicative decrease, not a restart from one segment.
  assert.ok(a.cwnd >= 5 * mss, `cwnd ${a.cwnd}`);
});

test('rack: the probe timeout is 2·SRTT, plus the delayed-ACK allowance with one segment in flight', () => {
  assert.equal(probeTimeout(10 * MS, 5 * M, M), 20 * MS);
  assert.equal(probeTimeout(10 * MS, M, M), 20 * MS + WC_DEL_ACK);
  assert.equal(probeTimeout(undefined, M, M), 1 * S);
});

// ---------------------------------------------------------------- in a connection

const setup = connected;
const isData = isDataFromA;
const sendsOf = (net: Net, seq: number): Sent[] => net.sent('A').filter((s) => isData(s) && s.seg.seq === seq);

test('TLP: lost last segments are repaired by a probe after 2·SRTT, not by an RTO (RFC 8985 §7)', () => {
  for (const rack of [true, false]) {
    const { net, a } = setup(profile('linux', { rack }));
    const mss = a.negotiated.mss;
    const tail = new Set([DATA0 + 8 * mss, DATA0 + 9 * mss]);
    net.fate = (s) => isData(s) && tail.delete(s.seg.seq);
    const data = pattern(10 * mss, 8);
    const start = net.now;
    a.send(data, start);
    net.runFor(2 * S);
    assert.deepEqual(net.b.receivedBytes(), data);
    const doneAt = net.sent('B').find((s) => s.seg.ack === DATA0 + data.length)!.t;
    if (rack) {
      assert.equal(a.stats.timeouts, 0, dump(net));
      assert.equal(a.stats.tailLossProbes, 1);
      // The probe leaves 2·SRTT after the last ACK (itself delayed 40 ms by
      // B), its SACK marks the other segment lost: repaired before an RTO
      // could even have fired.
      assert.ok(doneAt - start < 200 * MS, `repaired ${(doneAt - start) / MS} ms after the send\n${dump(net)}`);
    } else {
      // Without it only the retransmission timer (≥ 200 ms) finds a tail loss.
      assert.equal(a.stats.timeouts, 1, dump(net));
      assert.ok(doneAt - start > 200 * MS);
    }
  }
});

test('RACK: a lost fast retransmission is resent without waiting for the RTO', () => {
  for (const rack of [true, false]) {
    const { net, a } = setup(profile('linux', { rack }));
    const mss = a.negotiated.mss;
    const hole = DATA0 + 2 * mss;
    let drops = 2; // the original and its first retransmission
    net.fate = (s) => {
      if (isData(s) && s.seg.seq === hole && drops > 0) {
        drops--;
        return true;
      }
      return false;
    };
    const data = pattern(40 * mss, 9);
    a.send(data, net.now);
    net.runFor(3 * S);
    assert.deepEqual(net.b.receivedBytes(), data);
    assert.equal(sendsOf(net, hole).length, 3, dump(net));
    // RFC 6675 cannot tell a lost retransmission; RACK sees later segments delivered.
    assert.equal(a.stats.timeouts, rack ? 0 : 1, dump(net));
  }
});

test('RACK: after reordering is seen, a segment late by less than min_RTT/4 is not resent', () => {
  const { net, a } = setup(profile('linux'));
  const mss = a.negotiated.mss;
  const late = new Set([DATA0 + 2 * mss, DATA0 + 30 * mss]);
  net.fate = (s) => {
    if (isData(s) && late.has(s.seg.seq)) {
      late.delete(s.seg.seq);
      return { delay: 3 * MS };
    }
    return undefined;
  };
  const data = pattern(40 * mss, 10);
  a.send(data, net.now);
  net.runFor(3 * S);
  assert.deepEqual(net.b.receivedBytes(), data);
  // The first late segment may be resent (no reordering seen yet: the window
  // is 0); its D-SACK opens the window, so the second one is waited for.
  assert.ok(sendsOf(net, DATA0 + 2 * mss).length <= 2, dump(net));
  assert.equal(sendsOf(net, DATA0 + 30 * mss).length, 1, dump(net));
  assert.equal(a.stats.timeouts, 0);
});

test('undo: a fast retransmission proved needless restores cwnd, by timestamps (RFC 4015) or else by D-SACK (RFC 3708)', () => {
  for (const timestamps of [true, false]) {
    let peak = 0;
    const run = (late: boolean): TcpConnection => {
      const { net, a } = setup(profile('linux', { timestamps }));
      const mss = a.negotiated.mss;
      const late2 = DATA0 + 2 * mss;
      let held = false;
      let resent = false;
      // Segment 2 of the first flight arrives 15 ms late: RACK, with no
      // reordering seen yet, deems it lost and resends it.
      net.fate = (s) => {
        if (!isData(s)) return undefined;
        if (s.seg.seq === late2 && held) resent = true;
        // The largest window before the reduction.
        if (!resent) peak = Math.max(peak, a.cwnd);
        if (late && s.seg.seq === late2 && !held) {
          held = true;
          return { delay: 15 * MS };
        }
        return undefined;
      };
      a.send(pattern(30 * mss, 12), net.now);
      net.runFor(2 * S);
      assert.deepEqual(net.b.receivedBytes(), pattern(30 * mss, 12));
      return a;
    };
    const clean = run(false);
    const a = run(true);
    assert.equal(a.stats.fastRetransmits, 1, `timestamps ${timestamps}`);
    assert.equal(a.stats.retransmits, 1);
    assert.equal(a.stats.spuriousRecoveries, 1, `timestamps ${timestamps}`);
    // The reduction was taken back: ssthresh as if nothing happened, and cwnd
    // no smaller than before it (a kept CUBIC reduction leaves about 70%).
    assert.equal(a.ssthresh, clean.ssthresh, `timestamps ${timestamps}`);
    assert.ok(a.cwnd >= peak, `cwnd ${a.cwnd}, ${peak} before the reduction (timestamps ${timestamps})`);
  }
});
