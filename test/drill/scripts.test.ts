// The project's own packetdrill scripts (test/drill/scripts/): scenarios of
// the reference notes written as scripts. Each must pass against the stack;
// and each, with one expectation changed, must fail on that line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFile } from '../../src/drill/run-file.js';
import { REPO_ROOT } from '../helpers/paths.js';

const DIR = join(REPO_ROOT, 'test', 'drill', 'scripts');
const scripts = readdirSync(DIR).filter((n) => n.endsWith('.pkt')).sort();

test('the scripts are there', () => {
  assert.ok(scripts.includes('lost-third-ack.pkt'));
  assert.ok(scripts.includes('lost-third-ack-timeout.pkt'));
});

for (const name of scripts) {
  test(`${name} passes`, () => {
    const r = runFile(join(DIR, name), { name });
    assert.equal(r.result.error, undefined);
    assert.equal(r.result.status, 'pass');
    assert.equal(r.profile, 'linux');
  });
}

test('lost-third-ack fails if a SYN-ACK retransmission is expected instead of the data ACK', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'drill-scripts-'));
  try {
    const text = readFileSync(join(DIR, 'lost-third-ack.pkt'), 'utf8');
    const changed = text.replace('+0~+.04 > . 1:1(0) ack 6', '+.7 > S. 0:0(0) ack 1 <...>');
    assert.notEqual(changed, text);
    const p = join(tmp, 'changed.pkt');
    writeFileSync(p, changed);
    const r = runFile(p, { name: 'changed.pkt' });
    assert.equal(r.result.status, 'fail');
    assert.match(r.result.error ?? '', /^changed\.pkt:26: error handling packet: (timing error|live packet field tcp_syn: expected: 1 vs actual: 0)/);
    // The timeout variant fails if the connection is expected to survive the fifth retransmission.
    const t = readFileSync(join(DIR, 'lost-third-ack-timeout.pkt'), 'utf8').replace('+0 > R 1:1(0)', '+0 > . 1:1(0) ack 6');
    writeFileSync(p, t);
    assert.match(runFile(p, { name: 'changed.pkt' }).result.error ?? '', /^changed\.pkt:\d+: error handling packet: live packet field tcp_rst: expected: 0 vs actual: 1$/);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
