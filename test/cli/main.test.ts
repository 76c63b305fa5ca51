import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI } from '../helpers/paths.js';

test('an unknown command gets a one-line error and a non-zero exit', () => {
  const r = spawnSync(process.execPath, [CLI, 'no-such-command'], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown command/);
});
