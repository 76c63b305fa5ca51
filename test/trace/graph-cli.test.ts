// `synack graph` as a user runs it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO_ROOT } from '../helpers/paths.js';

const FIX = join(REPO_ROOT, 'test', 'fixtures', 'kernel');

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'graph', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'synack-graph-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true });
  }
}

test('-o writes one SVG with the plots of the connection', () => {
  withDir((dir) => {
    const out = join(dir, 'g.svg');
    const r = run([join(FIX, 'sack-loss.pcap'), '-o', out, '--conn', '1']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    const svg = readFileSync(out, 'utf8');
    for (const cls of ['data', 'retrans', 'ack-line', 'win-line', 'sack', 'rtt-samples', 'sent-rate', 'acked-rate']) {
      assert.match(svg, new RegExp(`class="${cls}"`), cls);
    }
    assert.doesNotMatch(svg, /class="cwnd-line"/);
  });
});

test('without -o the SVG goes to standard output; every connection of the capture is drawn', () => {
  const r = run([join(FIX, 'http-curl.pcap')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^<svg /);
  assert.equal((r.stdout.match(/class="connection"/g) ?? []).length, 1);
  assert.match(r.stdout, /Connection 1: 10\.99\.0\.1:37180 ⇄ 10\.99\.0\.2:80/);
});

test('--list names the connections with their packet and byte counts', () => {
  const r = run([join(FIX, 'sack-loss.pcap'), '--list']);
  assert.equal(r.status, 0, r.stderr);
  // 730 TCP lines in tcpdump's text; B's payload is 600204 bytes plus 16 retransmitted segments of 1448.
  assert.equal(r.stdout, '1  A 10.99.0.1:44502  B 10.99.0.2:8000  730 packets, A sent 85 bytes, B sent 623372 bytes\n');
});

test('--cwnd adds the congestion-window plot; bad samples are a one-line error', () => {
  withDir((dir) => {
    const samples = join(dir, 'cwnd.json');
    writeFileSync(samples, JSON.stringify([{ t: 0, cwnd: 14600, ssthresh: null }, { t: 9000, cwnd: 29200, ssthresh: 2147483647 }, { t: 10000, cwnd: 20000, ssthresh: 20000 }]));
    const out = join(dir, 'g.svg');
    const r = run([join(FIX, 'sack-loss.pcap'), '-o', out, '--cwnd', samples]);
    assert.equal(r.status, 0, r.stderr);
    const svg = readFileSync(out, 'utf8');
    assert.match(svg, /class="cwnd-line"/);
    assert.match(svg, /class="ssthresh-line"/);
    writeFileSync(samples, '[{"t": 0, "cwnd": "big"}]');
    const bad = run([join(FIX, 'sack-loss.pcap'), '-o', out, '--cwnd', samples]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /sample 0: 'cwnd' is not a number of bytes/);
  });
});

test('--html writes the report too', () => {
  withDir((dir) => {
    const html = join(dir, 'r.html');
    const r = run([join(FIX, 'refused.pcap'), '-o', join(dir, 'g.svg'), '--html', html]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(html, 'utf8'), /class="figure zoomable ladder"/);
  });
});

test('usage errors exit 2; a connection that does not exist exits 1', () => {
  assert.equal(run([]).status, 2);
  assert.match(run(['--frobnicate', 'x.pcap']).stderr, /unknown option '--frobnicate'/);
  assert.match(run(['x.pcap', '--conn', 'one']).stderr, /invalid connection number 'one'/);
  const r = run([join(FIX, 'refused.pcap'), '--conn', '4']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /no connection 4 \(the capture has 1\)/);
  assert.equal(run(['-h']).status, 0);
});
