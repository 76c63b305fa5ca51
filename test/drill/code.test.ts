// %{ }% blocks: the assert subset evaluated against a snapshot, failures
// naming the values, and blocks outside the subset reported as such.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateCode } from '../../src/drill/code.js';

const snap = { tcpi_state: 1, tcpi_snd_cwnd: 10, tcpi_options: 7, tcpi_rto: 1_000_000 };

test('asserts that hold: comparisons, constants, bit operations, and/or/not, chained comparisons, messages', () => {
  for (const code of [
    'assert tcpi_state == TCPI_ESTABLISHED',
    'assert tcpi_state == TCP_ESTABLISHED, tcpi_state',
    'assert tcpi_snd_cwnd == 10, tcpi_snd_cwnd',
    'assert tcpi_options == (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE)',
    'assert tcpi_options & TCPI_OPT_SACK != 0 and not tcpi_options & 8',
    'assert 5 <= tcpi_snd_cwnd < 11',
    'assert tcpi_rto // 1000 == 1000; assert tcpi_rto % 7 == 1000000 % 7',
    'assert tcpi_snd_cwnd >= 10\n# a comment\nassert tcpi_state != TCPI_CLOSED',
    'assert (tcpi_snd_cwnd * 2 - 5) >> 1 == 7',
  ]) {
    assert.deepEqual(evaluateCode(code, snap), { kind: 'ok' }, code);
  }
});

test('a failing assert names the condition and the values it read', () => {
  assert.deepEqual(evaluateCode('assert tcpi_state == TCPI_SYN_RECEIVED', snap), { kind: 'failed', message: 'assert tcpi_state == TCPI_SYN_RECEIVED (tcpi_state=1)' });
  assert.deepEqual(evaluateCode('assert tcpi_snd_cwnd == 12, tcpi_snd_cwnd\nassert 1 < 2', snap), { kind: 'failed', message: 'assert tcpi_snd_cwnd == 12 (tcpi_snd_cwnd=10)' });
  assert.deepEqual(evaluateCode('assert 3 < tcpi_snd_cwnd < 5', snap), { kind: 'failed', message: 'assert 3 < tcpi_snd_cwnd < 5 (tcpi_snd_cwnd=10)' });
});

test('blocks outside the subset are unevaluable, never passed', () => {
  assert.deepEqual(evaluateCode('assert tcpi_lost == 0', snap), { kind: 'unevaluable', reason: 'unknown name tcpi_lost' });
  assert.deepEqual(evaluateCode('x = tcpi_state', snap), { kind: 'unevaluable', reason: "statement 'x' (only assert is evaluated)" });
  // print() checks nothing; the asserts beside it still count.
  assert.deepEqual(evaluateCode('print(tcpi_snd_cwnd)\nassert tcpi_snd_cwnd == 9', snap), { kind: 'failed', message: 'assert tcpi_snd_cwnd == 9 (tcpi_snd_cwnd=10)' });
  assert.deepEqual(evaluateCode('assert abs(tcpi_snd_cwnd) == 10', snap), { kind: 'unevaluable', reason: 'function call abs(...)' });
  assert.deepEqual(evaluateCode('assert tcpi_snd_cwnd == 10 10', snap).kind, 'unevaluable');
  assert.deepEqual(evaluateCode('assert (tcpi_snd_cwnd == 10', snap).kind, 'unevaluable');
  assert.deepEqual(evaluateCode('assert tcpi_snd_cwnd / 0 == 1', snap), { kind: 'unevaluable', reason: 'division by zero' });
});
