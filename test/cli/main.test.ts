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

test('the package entry point exports the stack, the socket API and the layers', async () => {
  const m = await import('../../src/index.js');
  assert.equal(typeof m.Stack, 'function');
  assert.equal(typeof m.createServer, 'function');
  assert.equal(typeof m.connect, 'function');
  assert.equal(typeof m.sim.VirtualClock, 'function');
  assert.equal(typeof m.readCapture, 'function');
  assert.equal(typeof m.TcpdumpPrinter, 'function');
});
