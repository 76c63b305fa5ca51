// The `synack trace` command as a user runs it: files, standard input,
// -c, bad arguments, and captures that stop in the middle of a record.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'kernel');
const env = { ...process.env, TZ: 'GMT0' };

function run(args: string[], input?: Uint8Array): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'trace', ...args], { env, input, encoding: 'latin1' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('reads a capture named as an argument or with -r', () => {
  const expected = readFileSync(join(FIX, 'refused.nn.out'), 'latin1');
  assert.equal(run([join(FIX, 'refused.pcap')]).stdout, expected);
  const r = run(['-nn', '-r', join(FIX, 'refused.pcap')]);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, expected);
});

test('reads standard input when the file is -', () => {
  const pcap = readFileSync(join(FIX, 'http-curl.pcap'));
  const r = run(['-S', '-'], pcap);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, readFileSync(join(FIX, 'http-curl.S.out'), 'latin1'));
});

test('-c stops after N packets', () => {
  const r = run(['-c', '3', join(FIX, 'http-curl.pcap')]);
  assert.equal(r.status, 0);
  const lines = readFileSync(join(FIX, 'http-curl.nn.out'), 'latin1').split('\n').slice(0, 3);
  assert.equal(r.stdout, lines.join('\n') + '\n');
});

test('a capture cut inside a record: good records printed, one-line error naming record and offset, exit 1', () => {
  const pcap = readFileSync(join(FIX, 'http-curl.pcap'));
  // Walk the record headers (little-endian pcap) to cut the 5th record in half.
  let off = 24;
  for (let i = 0; i < 4; i++) off += 16 + pcap.readUInt32LE(off + 8);
  const cut = pcap.subarray(0, off + 16 + 10);
  const dir = mkdtempSync(join(tmpdir(), 'synack-trace-'));
  try {
    const file = join(dir, 'cut.pcap');
    writeFileSync(file, cut);
    const r = run([file]);
    assert.equal(r.status, 1);
    const expected = readFileSync(join(FIX, 'http-curl.nn.out'), 'latin1').split('\n').slice(0, 4).join('\n') + '\n';
    assert.equal(r.stdout, expected);
    const err = r.stderr.trim().split('\n');
    assert.equal(err.length, 1, r.stderr);
    assert.match(err[0]!, new RegExp(`record 5 at offset ${off}: truncated`));
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('a file that is not a capture: one-line error, exit 1, nothing printed', () => {
  const r = run(['-'], new TextEncoder().encode('hello, this is not a pcap file at all'));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('bad arguments get a one-line message and exit 2', () => {
  for (const args of [['-Z', 'x.pcap'], ['-c', 'many', 'x.pcap'], [], ['-r'], ['a.pcap', 'b.pcap'], ['--bogus', 'x']]) {
    const r = run(args);
    assert.equal(r.status, 2, `args ${args.join(' ')}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `args ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
  }
});

test('a missing file: one-line error, exit 1', () => {
  const r = run([join(FIX, 'no-such-file.pcap')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ENOENT/);
});
