// Loss recovery in simulated time: fast retransmit on the third duplicate
// ACK (RFC 5681 §3.2), limited transmit (RFC 3042), SACK-based recovery that
// repairs several holes in one round trip (RFC 6675), D-SACK (RFC 2883),
// and RTO backoff then recovery (RFC 6298 §5.5).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MS, S, pattern, dump, connected, isDataFromA, DATA0, type Net, type Sent } from './harness.js';
import { profile } from '../../src/tcp/config.js';

const setup = connected;
const isData = isDataFromA;

/** Drop the first transmission of each listed data sequence number from A. */
function dropFirst(net: Net, seqs: number[]): void {
  const left = new Set(seqs);
  net.fate = (s) => {
    if (isData(s) && left.has(s.seg.seq)) {
      left.delete(s.seg.seq);
      return true;
    }
    return false;
  };
}

test('fast retransmit on the third duplicate ACK, before any timeout (NewReno, no SACK)', () => {
  const cfg = profile('linux', { sack: false, congestionControl: 'newreno' });
  const { net, a } = setup(cfg);
  const mss = a.negotiated.mss;
  const lost = DATA0 + mss;
  dropFirst(net, [lost]);
  const data = pattern(10 * mss, 3);
  a.send(data, net.now);
  net.runFor(2 * S);
  assert.deepEqual(net.b.receivedBytes(), data);
  assert.equal(a.stats.timeouts, 0);
  assert.equal(a.stats.fastRetransmits, 1);
  const sends = net.sent('A').filter((s) => isData(s) && s.seg.seq === lost);
  assert.equal(sends.length, 2, dump(net));
  const rtx = sends[1]!;
  // The duplicate ACKs B sent (ack = the lost segment, no data), in order.
  const dups = net.sent('B').filter((s) => s.seg.ack === lost && s.seg.payload.length === 0 && s.t > sends[0]!.t);
  assert.ok(dups.length >= 3, dump(net));
  // Sent the moment the third duplicate arrived (one-way delay 10 ms), not earlier.
  assert.equal(rtx.t, dups[2]!.t + net.delay, dump(net));
  // RFC 5681 §3.2 step 2 (NewReno): ssthresh = FlightSize / 2; segment 0 was
  // acknowledged, so 9 segments were outstanding.
  assert.equal(a.ssthresh, Math.floor((9 * mss) / 2));
});

test('limited transmit: the first two duplicate ACKs each release one new segment (RFC 3042)', () => {
  const cfg = profile('linux', { sack: false, congestionControl: 'newreno' });
  const { net, a } = setup(cfg);
  const mss = a.negotiated.mss;
  dropFirst(net, [DATA0 + mss]);
  a.send(pattern(14 * mss, 4), net.now); // IW10 sends 10, 4 wait
  net.runFor(2 * S);
  const dups = net.sent('B').filter((s) => s.seg.ack === DATA0 + mss && s.seg.payload.length === 0);
  const at = (seq: number): number | undefined => net.sent('A').find((s) => isData(s) && s.seg.seq === seq)?.t;
  // Segments 10 and 11 (new data beyond the initial window) leave when the first and second duplicates arrive.
  assert.equal(at(DATA0 + 10 * mss), dups[0]!.t + net.delay, dump(net));
  assert.equal(at(DATA0 + 11 * mss), dups[1]!.t + net.delay, dump(net));
  assert.equal(a.stats.timeouts, 0);
});

test('SACK recovery repairs three holes within one round trip, each resent once (RFC 6675)', () => {
  const cfg = profile('linux');
  const { net, a } = setup(cfg);
  assert.equal(a.negotiated.sackOk, true);
  const mss = a.negotiated.mss;
  const holes = [1, 3, 5].map((k) => DATA0 + k * mss);
  dropFirst(net, holes);
  const data = pattern(10 * mss, 5);
  a.send(data, net.now);
  net.runFor(2 * S);
  assert.deepEqual(net.b.receivedBytes(), data);
  assert.equal(a.stats.timeouts, 0);
  assert.equal(a.stats.retransmits, 3, dump(net));
  const rtx = holes.map((h) => net.sent('A').filter((s) => isData(s) && s.seg.seq === h)[1]!);
  const first = Math.min(...rtx.map((s) => s.t));
  const rtt = 2 * net.delay;
  for (const s of rtx) assert.ok(s.t < first + rtt, `hole ${s.seg.seq} resent at ${s.t}, first at ${first}\n${dump(net)}`);
  // Without SACK, NewReno repairs one hole per round trip.
  const reno = setup(profile('linux', { sack: false }));
  dropFirst(reno.net, holes);
  reno.a.send(data, reno.net.now);
  reno.net.runFor(2 * S);
  assert.deepEqual(reno.net.b.receivedBytes(), data);
  const renoRtx = holes.map((h) => reno.net.sent('A').filter((s) => isData(s) && s.seg.seq === h)[1]!.t);
  assert.ok(Math.max(...renoRtx) - Math.min(...renoRtx) >= 2 * rtt, dump(reno.net));
});

test('a duplicate segment is reported in a D-SACK block first (RFC 2883)', () => {
  const cfg = profile('linux');
  const { net, a } = setup(cfg);
  const mss = a.negotiated.mss;
  net.fate = (s) => (isData(s) && s.seg.seq === DATA0 ? { duplicateAfter: 5 * MS } : undefined);
  a.send(pattern(mss, 6), net.now);
  net.runFor(1 * S);
  const withSack = net.sent('B').filter((s) => s.seg.options.some((o) => o.kind === 'sack'));
  assert.equal(withSack.length, 1, dump(net));
  const ack = withSack[0]!.seg;
  const sack = ack.options.find((o) => o.kind === 'sack');
  assert.ok(sack !== undefined && sack.kind === 'sack');
  // The block lies below the cumulative ACK: it names the duplicate, not a hole.
  assert.deepEqual(sack.blocks, [{ left: DATA0, right: DATA0 + mss }]);
  assert.equal(ack.ack, DATA0 + mss);
});

test('RTO backoff doubles while the path is black, then the transfer completes intact', () => {
  const cfg = profile('linux');
  const { net, a } = setup(cfg);
  const blackUntil = 3 * S;
  net.fate = (s) => isData(s) && net.now < blackUntil;
  const data = pattern(20_000, 7);
  a.send(data, net.now);
  net.runFor(30 * S);
  assert.deepEqual(net.b.receivedBytes(), data);
  const head = net.sent('A').filter((s) => isData(s) && s.seg.seq === DATA0);
  const times = head.map((s) => s.t);
  assert.ok(times.length >= 4, dump(net));
  // First a tail loss probe after 2·SRTT = 40 ms (it resends the last
  // segment and restarts the 200 ms RTO, RFC 8985 §7.3), so the head goes
  // again at 240 ms; then 400, 800, 1600 ms... (RFC 6298 §5.5).
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  assert.equal(gaps[0], 240 * MS, `gaps ${gaps.join(',')}`);
  assert.equal(gaps[1], 400 * MS, `gaps ${gaps.join(',')}`);
  for (let i = 2; i < gaps.length; i++) assert.equal(gaps[i], 2 * gaps[i - 1]!, `gaps ${gaps.join(',')}`);
  assert.equal(a.stats.tailLossProbes, 1);
  assert.equal(a.stats.timeouts, gaps.length);
  // After the timeout cwnd restarted from one segment (RFC 5681 §3.1) and grew again by slow start.
  assert.ok(a.cwnd >= a.negotiated.mss);
  assert.equal(a.sndUna, DATA0 + data.length);
});

test('after a timeout, an ACK echoing a timestamp from before it gives no RTT sample (RFC 3522 §2, RFC 7323 §4.3)', () => {
  const cfg = profile('linux');
  const { net, a } = setup(cfg);
  // B receives everything, but its ACKs are lost for 3 s: A times out and
  // resends data B already holds. B's answer to the duplicate echoes
  // TS.Recent, the timestamp of the last in-order segment, from before the
  // outage; taken as an RTT sample it would measure the outage (~3 s).
  const outageEnd = net.now + 3 * S;
  net.fate = (s) => s.from === 'B' && net.now < outageEnd;
  a.send(pattern(20_000, 3), net.now);
  net.runFor(4 * S);
  assert.equal(a.sndUna, DATA0 + 20_000, dump(net));
  assert.ok(a.stats.timeouts >= 3, `timeouts ${a.stats.timeouts}`);
  assert.ok(a.stats.staleEchoes >= 1, 'no stale echo was seen');
  assert.ok(a.srtt !== undefined && a.srtt < 100 * MS, `srtt ${a.srtt}`);
  // New data is timed afresh: the RTO is back at its 200 ms floor, not seconds.
  a.send(pattern(5_000, 4), net.now);
  net.runFor(1 * S);
  assert.equal(a.rto, 200 * MS);
});
