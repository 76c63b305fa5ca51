// The kernel's tcpdump captures the TUN while curl fetches files from
// synack over TCP (IPv4 and IPv6, handshake, data, window updates, FINs),
// and `synack trace` must print that capture exactly as `tcpdump -r` does,
// with -nn, with -S (absolute sequence numbers), and with -tt -v. With the
// TUN's segmentation offload, synack's data goes as super-segments larger
// than the MTU, which tcpdump sees and prints as they were written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from '../../src/cli/serve.js';
import { CLI } from '../helpers/paths.js';
import { interopSkip, KERNEL_V4, SYNACK_V4, SYNACK_V6, withNetns } from './netns.js';
import { sha256sum, stackOn, startCapture, writeDataFile } from './tools.js';

const FLAG_SETS: readonly (readonly string[])[] = [['-nn'], ['-nn', '-S'], ['-nn', '-tt', '-v']];

test('a kernel capture of TCP transfers between curl and synack prints the same with synack trace as with tcpdump -r (-nn; -S; -tt -v)', { skip: interopSkip(['curl', 'tcpdump']) }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'synack-cap-'));
  const site = join(dir, 'site');
  const file = join(dir, 'tcp.pcap');
  let superSegments = false;
  try {
    spawnSync('mkdir', [site]);
    writeFileSync(join(site, 'small.txt'), 'a small file\n');
    writeDataFile(join(site, 'mid.bin'), 200_000, 11);
    const want = sha256sum(join(site, 'mid.bin'));
    await withNetns(async (ns) => {
      const stack = stackOn(ns.tun);
      try {
        const svc = startService(stack, { name: 'http', port: 80, dir: site });
        await svc.listening;
        const capture = await startCapture(ns, file);
        for (const host of [SYNACK_V4, `[${SYNACK_V6}]`]) {
          const small = await ns.run(['curl', '-sS', '-g', `http://${host}/small.txt`], { timeoutMs: 30_000 });
          assert.equal(small.stdout, 'a small file\n', small.stderr);
          const out = join(dir, 'mid.out');
          const mid = await ns.run(['curl', '-sS', '-g', '-o', out, `http://${host}/mid.bin`], { timeoutMs: 30_000 });
          assert.equal(mid.code, 0, mid.stderr);
          assert.equal(sha256sum(out), want);
        }
        // Let the last FIN/ACK exchange reach the capture.
        await new Promise((r) => setTimeout(r, 200));
        const said = await capture.stop();
        assert.match(said, /\b\d{2,} packets captured/, said);
        superSegments = ns.tun.stats.txSuperSegments > 0;
        assert.match(said, /\b0 packets dropped by kernel/, said);
        svc.close();
      } finally {
        stack.close();
      }
    });
    assert.ok(statSync(file).size > 200_000, 'the capture holds the transfers');
    const env = { ...process.env, TZ: 'UTC' };
    for (const flags of FLAG_SETS) {
      const theirs = spawnSync('tcpdump', ['-r', file, ...flags], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
      assert.equal(theirs.status, 0, theirs.stderr);
      const ours = spawnSync(process.execPath, [CLI, 'trace', ...flags, file], { encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
      assert.equal(ours.status, 0, ours.stderr);
      const lines = theirs.stdout.split('\n');
      // The capture really holds TCP both ways over both families.
      assert.ok(lines.some((l) => l.includes(`${KERNEL_V4}.`) && l.includes(`> ${SYNACK_V4}.80: Flags [S]`)), `a SYN to synack (${flags.join(' ')})`);
      assert.ok(lines.some((l) => l.includes(`${SYNACK_V6}.80 > `) && l.includes('Flags [S.]')), 'a SYN-ACK from synack over IPv6');
      assert.ok(lines.some((l) => l.includes(`${SYNACK_V4}.80 > `) && l.includes('Flags [F.]')), "synack's FIN");
      if (superSegments) assert.ok(lines.some((l) => Number(/\blength (\d+)/.exec(l)?.[1] ?? 0) > 1500), 'a super-segment larger than the MTU');
      if (ours.stdout !== theirs.stdout) {
        const a = ours.stdout.split('\n');
        const i = a.findIndex((l, k) => l !== lines[k]);
        assert.fail(`synack trace ${flags.join(' ')} differs from tcpdump at line ${i + 1} of ${lines.length}:\n  tcpdump: ${lines[i]}\n  synack:  ${a[i]}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
