import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RtoEstimator } from '../../src/tcp/rto.js';
import { profile } from '../../src/tcp/config.js';

const MS = 1000;
const S = 1_000_000;

test('before any sample the RTO is the initial value (RFC 6298 §2.1)', () => {
  const e = new RtoEstimator(profile('linux'));
  assert.equal(e.rto, 1 * S);
  assert.equal(e.srtt, undefined);
});

test('first and second samples follow RFC 6298 §2.2 and §2.3', () => {
  const e = new RtoEstimator(profile('linux', { rtoMin: 0 }));
  e.sample(100 * MS);
  // SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, 4·RTTVAR) = 100 + 200 ms.
  assert.equal(e.srtt, 100 * MS);
  assert.equal(e.rttvar, 50 * MS);
  assert.equal(e.rto, 300 * MS);
  e.sample(200 * MS);
  // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5; RTO = 112.5 + 250.
  assert.equal(e.rttvar, 62.5 * MS);
  assert.equal(e.srtt, 112.5 * MS);
  assert.equal(e.rto, 362.5 * MS);
});

test('granularity G bounds the variance term', () => {
  const e = new RtoEstimator(profile('linux', { rtoMin: 0 }));
  for (let i = 0; i < 50; i++) e.sample(10 * MS);
  // RTTVAR decays towards 0, so RTO → SRTT + G with G = 1 ms.
  assert.ok(e.rto >= 11 * MS && e.rto < 11.1 * MS, `rto ${e.rto}`);
});

test('RTO is clamped to [rtoMin, rtoMax]', () => {
  const e = new RtoEstimator(profile('linux'));
  e.sample(1 * MS);
  assert.equal(e.rto, 200 * MS);
  e.sample(500 * S);
  assert.equal(e.rto, 120 * S);
});

test('backoff doubles up to rtoMax, a new sample ends it', () => {
  const e = new RtoEstimator(profile('linux'));
  const seen: number[] = [];
  for (let i = 0; i < 9; i++) {
    seen.push(e.rto / S);
    e.backoff();
  }
  assert.deepEqual(seen, [1, 2, 4, 8, 16, 32, 64, 120, 120]);
  assert.equal(e.backoffCount, 7);
  e.sample(1 * MS);
  assert.equal(e.backoffCount, 0);
  assert.equal(e.rto, 200 * MS);
});

test('bsd profile: a sub-tick RTT counts as one 500 ms tick, giving 1.5 s and the classic ladder', () => {
  const e = new RtoEstimator(profile('bsd'));
  assert.equal(e.rto, 1.5 * S); // initial
  e.sample(20 * MS);
  // SRTT = 0.5 s, RTTVAR = 0.25 s, RTO = 0.5 + max(0.5, 1.0) = 1.5 s.
  assert.equal(e.srtt, 500 * MS);
  assert.equal(e.rto, 1.5 * S);
  const ladder: number[] = [];
  for (let i = 0; i < 9; i++) {
    ladder.push(e.rto / S);
    e.backoff();
  }
  assert.deepEqual(ladder, [1.5, 3, 6, 12, 24, 48, 64, 64, 64]);
});

test('bsd profile: the RTO is a whole number of ticks', () => {
  const e = new RtoEstimator(profile('bsd'));
  for (let i = 0; i < 5; i++) e.sample(20 * MS);
  // SRTT stays 0.5 s, RTTVAR shrinks: 0.5 + 4·RTTVAR is rounded up to a tick.
  assert.equal(e.rto % (500 * MS), 0);
  assert.ok(e.rto >= 1 * S);
});

test('RFC 6298 §5.7: 3 s fallback only without a sample', () => {
  const a = new RtoEstimator(profile('linux'));
  a.backoff();
  a.fallback(3 * S);
  assert.equal(a.rto, 3 * S);
  const b = new RtoEstimator(profile('linux'));
  b.sample(10 * MS);
  b.fallback(3 * S);
  assert.equal(b.rto, 200 * MS);
});
