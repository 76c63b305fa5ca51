// `synack trace --diagram / --svg / --html` as a user runs them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/paths.js';
import { parseTraceArgs } from '../../src/cli/trace.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'kernel');
const env = { ...process.env, TZ: 'GMT0' };

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'trace', ...args], { env, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'synack-diagram-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('--diagram prints the ladder of each connection instead of tcpdump lines', () => {
  const r = run([join(FIX, 'refused.pcap'), '--diagram']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    [
      'Connection 1: TCP Peer A 10.99.0.1:45958, TCP Peer B 10.99.0.2:81',
      '',
      '    TCP Peer A                                            TCP Peer B',
      '',
      '1.  CLOSED                                                CLOSED',
      '',
      '2.  SYN-SENT --> <SEQ=1309920157><CTL=SYN>            --> CLOSED',
      '',
      '3.  CLOSED   <-- <SEQ=0><ACK=1309920158><CTL=RST,ACK> <-- CLOSED',
      '',
    ].join('\n'),
  );
});

test('--rfc-isn rebases the sequence numbers to 100 and 300', () => {
  const r = run(['--diagram', '--rfc-isn', join(FIX, 'refused.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /2\. {2}SYN-SENT --> <SEQ=100><CTL=SYN> +--> CLOSED/);
  assert.match(r.stdout, /3\. {2}CLOSED {3}<-- <SEQ=300><ACK=101><CTL=RST,ACK> <-- CLOSED/);
});

test('without the new switches the output is tcpdump\'s, unchanged', () => {
  const r = run([join(FIX, 'http-curl.pcap')]);
  assert.equal(r.stdout, readFileSync(join(FIX, 'http-curl.nn.out'), 'latin1'));
});

test('--svg and --html write their files and keep the tcpdump lines on standard output', () => {
  withDir((dir) => {
    const svg = join(dir, 'ladder.svg');
    const html = join(dir, 'report.html');
    const r = run([join(FIX, 'http-curl.pcap'), '--svg', svg, `--html=${html}`]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(FIX, 'http-curl.nn.out'), 'latin1'));
    const s = readFileSync(svg, 'utf8');
    assert.match(s, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" class="synack-ladder"/);
    // 13 TCP segments, each an arrow.
    assert.equal((s.match(/<g class="segment[ "]/g) ?? []).length, 13);
    const h = readFileSync(html, 'utf8');
    assert.match(h, /^<!DOCTYPE html>/);
    assert.match(h, /Connection 1: 10\.99\.0\.1:37180 ⇄ 10\.99\.0\.2:80/);
    // The tcpdump lines are in the page (escaped).
    assert.ok(h.includes('10.99.0.1.37180 &gt; 10.99.0.2.80: Flags [S], seq 355263363'), 'tcpdump line in report');
  });
});

test('--conn picks one connection; a number past the last is an error', () => {
  const ok = run([join(FIX, 'sack-loss.pcap'), '--diagram', '--conn', '1', '-c', '3']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.split('\n').filter((l) => /^\d+\./.test(l)).length, 4);
  const bad = run([join(FIX, 'sack-loss.pcap'), '--diagram', '--conn=2']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no TCP connection 2 \(the capture has 1\)/);
});

test('switch parsing: values inline or separate, errors named', () => {
  const a = parseTraceArgs(['--diagram', '--svg', 'x.svg', '--html=r.html', '--conn', '3', '--rfc-isn', 'f.pcap']);
  assert.deepEqual([a.file, a.diagram, a.svg, a.html, a.conn, a.rfcIsn], ['f.pcap', true, 'x.svg', 'r.html', 3, true]);
  assert.throws(() => parseTraceArgs(['f.pcap', '--svg']), /--svg needs a value/);
  assert.throws(() => parseTraceArgs(['f.pcap', '--conn', '0']), /invalid connection number '0'/);
  assert.throws(() => parseTraceArgs(['f.pcap', '--diagrams']), /unknown option '--diagrams'/);
  const plain = parseTraceArgs(['-nn', 'f.pcap']);
  assert.equal(plain.diagram, undefined);
});

test('a file that cannot be written is a one-line error and exit 1', () => {
  const r = run([join(FIX, 'refused.pcap'), '--svg', join(REPO_ROOT, 'no-such-dir', 'x.svg')]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot write \(ENOENT\)/);
});
