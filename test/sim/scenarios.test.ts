// Every named scenario, played under the Linux profile, must produce exactly
// these segments at exactly these simulated times. The lists are written from
// the RFCs and Linux's documented defaults, with a 10 ms one-way delay:
//  - SYN options in Linux's layout `mss,sackOK,TS,nop,wscale`; MSS 1460 for a
//    1500-byte MTU; a 128 KiB receive buffer needs window scale 2, so the
//    SYN's window is 65535 and later windows are 131072 >> 2 = 32768;
//  - RTO: 1 s initial (RFC 6298 §2.1) doubling for SYN and SYN-ACK
//    (retries 6 and 5: 0, 1, 3, 7, 15, 31, 63 s); on data 200 ms (Linux's
//    minimum, since SRTT + 4·RTTVAR is below it at a 20 ms RTT), doubling
//    to the 120 s cap, 15 retransmissions;
//  - delayed ACKs after 40 ms; persist probes carry SND.UNA − 1 without data
//    and back off; keepalive probes after 7200 s idle, 75 s apart, 9 of them;
//  - TIME_WAIT 60 s; FIN_WAIT_2 timeout 60 s.
// Sequence numbers are relative to the sender's ISN, acks to the receiver's.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SCENARIOS, findScenario } from '../../src/sim/scenario/catalog.js';
import { World } from '../../src/sim/scenario/world.js';
import { compact } from './scenario-compact.js';
import { segmentsOf } from '../../src/sim/scenario/segments.js';

const EXPECTED: Record<string, string[]> = {
  'handshake': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '0.100 A>B P. seq=1 len=5 ack=1 win=32768',
    '0.110 B>A . seq=1 ack=6 win=32766',
  ],
  'data-on-third-ack': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B P. seq=1 len=18 ack=1 win=32768',
    '0.030 B>A . seq=1 ack=19 win=32763',
  ],
  'simultaneous-open': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.000 B>A S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 A>B S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.200 A>B P. seq=1 len=6 ack=1 win=32768',
    '0.200 B>A P. seq=1 len=6 ack=1 win=32768',
    // 6 bytes held of 131072: 131066 free, 32766 whole units of 4 (32767 would offer 2 bytes beyond the buffer).
    '0.210 B>A . seq=7 ack=7 win=32766',
    '0.210 A>B . seq=7 ack=7 win=32766',
  ],
  'old-duplicate-syn': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.000 A>B S seq=-10 win=65535 <mss 1460>',
    '0.010 B>A S. seq=0 ack=-9 win=65535 <mss 1460>',
    '0.020 A>B R seq=-9 win=0',
    '0.060 B>A S. seq=12500 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.070 A>B . seq=1 ack=12501 win=32768',
  ],
  'lost-third-ack': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768 LOST',
    '0.300 A>B P. seq=1 len=5 ack=1 win=32768',
    '0.310 B>A . seq=1 ack=6 win=32766',
  ],
  'lost-third-ack-timeout': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768 LOST',
    '1.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '1.020 A>B . seq=1 ack=1 win=32768 LOST',
    '3.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '3.020 A>B . seq=1 ack=1 win=32768 LOST',
    '7.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '7.020 A>B . seq=1 ack=1 win=32768 LOST',
    '15.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '15.020 A>B . seq=1 ack=1 win=32768 LOST',
    '31.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '31.020 A>B . seq=1 ack=1 win=32768 LOST',
    '73.000 A>B P. seq=1 len=5 ack=1 win=32768',
    '73.010 B>A R seq=1 win=0',
  ],
  'syn-retries': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '1.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '3.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '7.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '15.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '31.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '63.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
  ],
  'rto-backoff': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '2.000 A>B P. seq=1 len=14 ack=1 win=32768',
    '2.200 A>B P. seq=1 len=14 ack=1 win=32768', // tail loss probe (RFC 8985 §7.2), in the RTO's place
    '2.400 A>B P. seq=1 len=14 ack=1 win=32768',
    '2.800 A>B P. seq=1 len=14 ack=1 win=32768',
    '3.600 A>B P. seq=1 len=14 ack=1 win=32768',
    '5.200 A>B P. seq=1 len=14 ack=1 win=32768',
    '8.400 A>B P. seq=1 len=14 ack=1 win=32768',
    '14.800 A>B P. seq=1 len=14 ack=1 win=32768',
    '27.600 A>B P. seq=1 len=14 ack=1 win=32768',
    '53.200 A>B P. seq=1 len=14 ack=1 win=32768',
    '104.400 A>B P. seq=1 len=14 ack=1 win=32768',
    '206.800 A>B P. seq=1 len=14 ack=1 win=32768',
    '326.800 A>B P. seq=1 len=14 ack=1 win=32768',
    '446.800 A>B P. seq=1 len=14 ack=1 win=32768',
    '566.800 A>B P. seq=1 len=14 ack=1 win=32768',
    '686.800 A>B P. seq=1 len=14 ack=1 win=32768',
    '806.800 A>B P. seq=1 len=14 ack=1 win=32768',
  ],
  'zero-window': [
    '0.000 A>B S seq=0 win=4096 <mss 1460,sackOK,TS,nop,wscale 0>',
    '0.010 B>A S. seq=0 ack=1 win=4096 <mss 1460,sackOK,TS,nop,wscale 0>',
    '0.020 A>B . seq=1 ack=1 win=4096',
    '0.200 A>B . seq=1 len=1448 ack=1 win=4096',
    '0.200 A>B . seq=1449 len=1448 ack=1 win=4096',
    '0.210 B>A . seq=1 ack=1449 win=2648',
    '0.210 B>A . seq=1 ack=2897 win=1200',
    '0.420 A>B . seq=2897 len=1200 ack=1 win=4096',
    '0.430 B>A . seq=1 ack=4097 win=0',
    '0.840 A>B . seq=4096 ack=1 win=4096',
    '0.850 B>A . seq=1 ack=4097 win=0',
    '1.640 A>B . seq=4096 ack=1 win=4096',
    '1.650 B>A . seq=1 ack=4097 win=0',
    '3.240 A>B . seq=4096 ack=1 win=4096',
    '3.250 B>A . seq=1 ack=4097 win=0',
    '6.440 A>B . seq=4096 ack=1 win=4096',
    '6.450 B>A . seq=1 ack=4097 win=0',
    '12.840 A>B . seq=4096 ack=1 win=4096',
    '12.850 B>A . seq=1 ack=4097 win=0',
    '25.640 A>B . seq=4096 ack=1 win=4096',
    '25.650 B>A . seq=1 ack=4097 win=0',
    '30.000 B>A . seq=1 ack=4097 win=4096',
    '30.010 A>B . seq=4097 len=1448 ack=1 win=4096',
    '30.010 A>B . seq=5545 len=1448 ack=1 win=4096',
    '30.020 B>A . seq=1 ack=5545 win=2648',
    '30.020 B>A . seq=1 ack=6993 win=1200',
    '30.020 B>A . seq=1 ack=6993 win=4096',
    '30.030 A>B . seq=6993 len=1448 ack=1 win=4096',
    '30.030 A>B . seq=8441 len=1448 ack=1 win=4096',
    '30.040 B>A . seq=1 ack=9889 win=1200',
    '30.040 B>A . seq=1 ack=9889 win=4096',
    '30.050 A>B . seq=9889 len=1448 ack=1 win=4096',
    '30.100 B>A . seq=1 ack=11337 win=2648',
    '30.110 A>B P. seq=11337 len=664 ack=1 win=4096',
    '30.120 B>A . seq=1 ack=12001 win=4096',
  ],
  'keepalive': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '7201.000 A>B . seq=0 ack=1 win=32768',
    '7201.010 B>A . seq=1 ack=1 win=32768',
    '14401.020 A>B . seq=0 ack=1 win=32768',
    '14401.030 B>A . seq=1 ack=1 win=32768',
  ],
  'keepalive-crashed': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '7201.000 A>B . seq=0 ack=1 win=32768',
    '7276.000 A>B . seq=0 ack=1 win=32768',
    '7351.000 A>B . seq=0 ack=1 win=32768',
    '7426.000 A>B . seq=0 ack=1 win=32768',
    '7501.000 A>B . seq=0 ack=1 win=32768',
    '7576.000 A>B . seq=0 ack=1 win=32768',
    '7651.000 A>B . seq=0 ack=1 win=32768',
    '7726.000 A>B . seq=0 ack=1 win=32768',
    '7801.000 A>B . seq=0 ack=1 win=32768',
    '7876.000 A>B R seq=1 win=0',
  ],
  'keepalive-rebooted': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '7201.000 A>B . seq=0 ack=1 win=32768',
    '7201.010 B>A R seq=1 win=0',
  ],
  'four-way-close': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '0.100 A>B F. seq=1 ack=1 win=32768',
    '0.110 B>A . seq=1 ack=2 win=32768',
    '0.300 B>A F. seq=1 ack=2 win=32768',
    '0.310 A>B . seq=2 ack=2 win=32768',
  ],
  'simultaneous-close': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '0.100 A>B F. seq=1 ack=1 win=32768',
    '0.100 B>A F. seq=1 ack=1 win=32768',
    '0.110 B>A . seq=2 ack=2 win=32768',
    '0.110 A>B . seq=2 ack=2 win=32768',
  ],
  'half-close': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '0.100 A>B P. seq=1 len=7 ack=1 win=32768',
    '0.100 A>B F. seq=8 ack=1 win=32768',
    '0.110 B>A . seq=1 ack=8 win=32766',
    '0.110 B>A . seq=1 ack=9 win=32766',
    '0.500 B>A P. seq=1 len=16 ack=9 win=32766',
    '0.510 A>B . seq=9 ack=17 win=32764',
    '0.900 B>A P. seq=17 len=6 ack=9 win=32766',
    '0.910 A>B . seq=9 ack=23 win=32763',
    '1.200 B>A F. seq=23 ack=9 win=32766',
    '1.210 A>B . seq=9 ack=24 win=32763',
  ],
  'time-wait': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '0.100 A>B F. seq=1 ack=1 win=32768',
    '0.110 B>A . seq=1 ack=2 win=32768',
    '0.300 B>A F. seq=1 ack=2 win=32768',
    '0.310 A>B . seq=2 ack=2 win=32768 LOST',
    '0.500 B>A F. seq=1 ack=2 win=32768',
    '0.510 A>B . seq=2 ack=2 win=32768',
  ],
  'fin-wait-2-timeout': [
    '0.000 A>B S seq=0 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.020 A>B . seq=1 ack=1 win=32768',
    '0.100 A>B F. seq=1 ack=1 win=32768',
    '0.110 B>A . seq=1 ack=2 win=32768',
  ],
  // RFC 4987: two spoofed SYNs (10.0.0.66/67, sequence 0 and 65536) fill a
  // SYN queue of 2; B's SYN-ACKs to them go unanswered and are resent at
  // +1, +3, +7, +15 s. Numbers are relative to the first SYN each side sent,
  // so the client's (from 0.100 s) show as large offsets.
  'syn-flood': [
    // No cookies: the client's SYN and its retries (synRetries 3: +1, +3, +7 s) are dropped; it gives up at 15.1 s.
    '0.000 A>B S seq=0 win=65535 <mss 1460>',
    '0.000 A>B S seq=65536 win=65535 <mss 1460>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460>',
    '0.010 B>A S. seq=-2131324760 ack=65537 win=65535 <mss 1460>',
    '0.100 A>B S seq=620142232 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '1.010 B>A S. seq=0 ack=1 win=65535 <mss 1460>',
    '1.010 B>A S. seq=-2131324760 ack=65537 win=65535 <mss 1460>',
    '1.100 A>B S seq=620142232 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '3.010 B>A S. seq=0 ack=1 win=65535 <mss 1460>',
    '3.010 B>A S. seq=-2131324760 ack=65537 win=65535 <mss 1460>',
    '3.100 A>B S seq=620142232 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '7.010 B>A S. seq=0 ack=1 win=65535 <mss 1460>',
    '7.010 B>A S. seq=-2131324760 ack=65537 win=65535 <mss 1460>',
    '7.100 A>B S seq=620142232 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '15.010 B>A S. seq=0 ack=1 win=65535 <mss 1460>',
    '15.010 B>A S. seq=-2131324760 ack=65537 win=65535 <mss 1460>',
  ],
  'syn-flood-cookies': [
    // Cookies (§3.6): the client's SYN gets a stateless SYN-ACK with every
    // option (timestamps carry wscale and SACK); its data rides on the third
    // ACK, which rebuilds the connection, and is acknowledged.
    '0.000 A>B S seq=0 win=65535 <mss 1460>',
    '0.000 A>B S seq=65536 win=65535 <mss 1460>',
    '0.010 B>A S. seq=0 ack=1 win=65535 <mss 1460>',
    '0.010 B>A S. seq=-2131324760 ack=65537 win=65535 <mss 1460>',
    '0.100 A>B S seq=620142232 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.110 B>A S. seq=2085137896 ack=620142233 win=65535 <mss 1460,sackOK,TS,nop,wscale 2>',
    '0.120 A>B P. seq=620142233 len=5 ack=2085137897 win=32768',
    '0.130 B>A . seq=2085137897 ack=620142238 win=32766',
    '1.010 B>A S. seq=0 ack=1 win=65535 <mss 1460>',
    '1.010 B>A S. seq=-2131324760 ack=65537 win=65535 <mss 1460>',
  ],
};

test('every scenario has its expected segments', () => {
  assert.deepEqual(Object.keys(EXPECTED).sort(), SCENARIOS.map((s) => s.name).sort());
});

for (const s of SCENARIOS) {
  test(`${s.name}: exact segments and times (linux profile), and the verdict`, () => {
    const w = new World({ ...s.world, profile: 'linux' });
    const outcome = s.play(w);
    assert.deepEqual(compact(w), EXPECTED[s.name]);
    assert.ok(outcome.ok, outcome.verdict);
  });
  test(`${s.name}: the verdict holds under the bsd profile`, () => {
    const w = new World({ ...s.world, profile: 'bsd' });
    const outcome = s.play(w);
    assert.ok(outcome.ok, outcome.verdict);
  });
}

test('rto-backoff under the bsd profile: the classic ladder 1.5, 3, 6, 12, 24, 48, 64, 64 … s', () => {
  const w = new World({ profile: 'bsd' });
  findScenario('rto-backoff')!.play(w);
  const data = segmentsOf(w.timeline).filter((s) => s.from === 'A' && s.seg.payload.length > 0);
  const gaps = data.slice(1).map((s, i) => (s.t - data[i]!.t) / 1e6);
  assert.deepEqual(gaps, [1.5, 3, 6, 12, 24, 48, 64, 64, 64, 64, 64, 64]);
});

test('lost-third-ack-timeout: SYN-ACKs at 0, +1, +3, +7, +15, +31 s and the drop at +63 s (linux)', () => {
  const w = new World({ profile: 'linux' });
  findScenario('lost-third-ack-timeout')!.play(w);
  const synAcks = segmentsOf(w.timeline).filter((s) => s.from === 'B' && s.seg.flags === 0x12);
  assert.deepEqual(synAcks.map((s) => (s.t - synAcks[0]!.t) / 1e6), [0, 1, 3, 7, 15, 31]);
  const drop = w.timeline.states('B').find((e) => e.from === 'SYN_RECEIVED' && e.to === 'LISTEN')!;
  assert.equal((drop.t - synAcks[0]!.t) / 1e6, 63);
});

test('the same seed replays the same scenario exactly; another seed changes ports and ISNs only', () => {
  const s = findScenario('handshake')!;
  const run = (seed: number): string => {
    const w = new World({ seed });
    s.play(w);
    return segmentsOf(w.timeline).map((x) => `${x.t} ${x.seg.srcPort} ${x.seg.seq}`).join('|');
  };
  assert.equal(run(7), run(7));
  assert.notEqual(run(7), run(8));
});

test('the handshake scenario drawn as RFC 9293 Figure 6 (ISNs shown as 100 and 300)', async () => {
  const { ladderText } = await import('../../src/trace/diagram/index.js');
  const { ladderEvents } = await import('../../src/sim/scenario/ladder.js');
  const w = new World({});
  findScenario('handshake')!.play(w);
  const text = ladderText(ladderEvents(w.timeline), { isn: 'rfc' });
  // Lines 1-5 are the figure's; line 6 is B's ACK of the data, which the figure leaves out.
  const rows = text.split('\n').filter((l) => /^\d+\./.test(l)).map((l) => l.trim().split(/\s+/).join(' '));
  assert.deepEqual(rows, [
    '1. CLOSED LISTEN',
    '2. SYN-SENT --> <SEQ=100><CTL=SYN> --> SYN-RECEIVED',
    '3. ESTABLISHED <-- <SEQ=300><ACK=101><CTL=SYN,ACK> <-- SYN-RECEIVED',
    '4. ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK> --> ESTABLISHED',
    '5. ESTABLISHED --> <SEQ=101><ACK=301><CTL=ACK><DATA> --> ESTABLISHED',
    '6. ESTABLISHED <-- <SEQ=301><ACK=106><CTL=ACK> <-- ESTABLISHED',
  ]);
});

test('old-duplicate-syn drawn as RFC 9293 Figure 9: SYN 90, SYN-ACK 91, RST 91, back to LISTEN', async () => {
  const { ladderText } = await import('../../src/trace/diagram/index.js');
  const { ladderEvents } = await import('../../src/sim/scenario/ladder.js');
  const w = new World({});
  findScenario('old-duplicate-syn')!.play(w);
  const text = ladderText(ladderEvents(w.timeline), { isn: 'rfc' });
  assert.match(text, /--> <SEQ=90><CTL=SYN> +--> SYN-RECEIVED/);
  assert.match(text, /<-- <SEQ=300><ACK=91><CTL=SYN,ACK> +<-- SYN-RECEIVED/);
  assert.match(text, /--> <SEQ=91><CTL=RST> +--> LISTEN/);
  assert.match(text, /ESTABLISHED --> <SEQ=101><ACK=\d+><CTL=ACK> +--> ESTABLISHED/);
});
