// `synack scenario` as a user runs it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';
import { readCapture } from '../../src/trace/read-capture.js';
import { SCENARIOS } from '../../src/sim/scenario/catalog.js';

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'scenario', ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'GMT0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('--list names every scenario', () => {
  const r = run(['--list']);
  assert.equal(r.status, 0);
  for (const s of SCENARIOS) assert.match(r.stdout, new RegExp(`^${s.name} `, 'm'));
});

test('the tour plays every scenario, each with a verdict, and exits 0', () => {
  const r = run([]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((r.stdout.match(/^verdict: ok/gm) ?? []).length, SCENARIOS.length);
  assert.match(r.stdout, new RegExp(`${SCENARIOS.length} of ${SCENARIOS.length} scenarios behaved`));
});

test('one scenario prints tcpdump lines and state changes; -S gives absolute numbers', () => {
  const r = run(['handshake']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /A → B {2}IP 10\.0\.0\.1\.\d+ > 10\.0\.0\.2\.9000: Flags \[S\], seq \d+, win 65535, options \[mss 1460,sackOK,TS val \d+ ecr 0,nop,wscale 2\], length 0/);
  assert.match(r.stdout, /Flags \[\.\], ack 1, win 32768/);
  assert.match(r.stdout, /A {6}SYN_SENT → ESTABLISHED/);
  const abs = run(['handshake', '-S']);
  assert.doesNotMatch(abs.stdout, /Flags \[\.\], ack 1,/);
});

test('--pcap writes the packets; synack trace reads them back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-scenario-'));
  try {
    const file = join(dir, 'hs.pcap');
    const r = run(['four-way-close', '--pcap', file]);
    assert.equal(r.status, 0, r.stderr);
    const cap = readCapture(readFileSync(file));
    assert.equal(cap.error, undefined);
    assert.equal(cap.records.length, 7);
    const t = spawnSync(process.execPath, [CLI, 'trace', '-tt', file], { encoding: 'utf8' });
    assert.equal(t.status, 0);
    assert.equal(t.stdout.trim().split('\n').length, 7);
    assert.match(t.stdout, /^1767225600\.000000 IP 10\.0\.0\.1/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test('bad arguments: one line, exit 2', () => {
  for (const args of [['no-such-scenario'], ['--profile', 'windows'], ['--pcap'], ['--pcap', 'x.pcap'], ['--seed', 'abc'], ['--frobnicate']]) {
    const r = run(args);
    assert.equal(r.status, 2, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('--html and --svg for one scenario: a self-contained page with the ladder, graphs and the cwnd curve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-scenario-'));
  try {
    const html = join(dir, 'r.html');
    const svg = join(dir, 'l.svg');
    const r = run(['zero-window', '--html', html, '--svg', svg, '--diagram']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^1\.\s+CLOSED\s+LISTEN$/m);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /<svg/);
    assert.match(page, /class="cwnd-line"/);
    assert.doesNotMatch(page, /(src|href)="https?:/);
    assert.match(readFileSync(svg, 'utf8'), /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
