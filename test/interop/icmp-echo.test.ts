// The first interop test, needing no TCP: the kernel pings synack's address
// through a TUN device in a private namespace, and a tiny responder built on
// the wire layer answers. The kernel only counts a reply whose IP and ICMP
// checksums, addresses, identifier, sequence and data are right, so `ping`
// succeeding is the kernel's own verdict on what synack wrote.
//
// A capture taken by the kernel's tcpdump on the TUN during the pings is then
// printed by `synack trace -nn` and by `tcpdump -r -nn`: the texts must match.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/paths.js';
import { startEchoResponder } from './echo-responder.js';
import { startCapture } from './tools.js';
import { backendSkip, interopSkip, kernelCounters, KERNEL_V4, KERNEL_V6, SYNACK_V4, SYNACK_V6, withNetns, type Netns } from './netns.js';

const BACKENDS = ['addon', 'python'] as const;

function skipFor(backend: 'addon' | 'python', commands: string[]): string | undefined {
  return interopSkip(commands) ?? backendSkip(backend);
}

/** `ping` inside the namespace: COUNT requests 0.2 s apart, each given 2 s for its reply. */
function ping(ns: Netns, family: 4 | 6, dst: string, count: number): ReturnType<Netns['run']> {
  return ns.run(['ping', `-${family}`, '-n', '-c', String(count), '-i', '0.2', '-W', '2', dst], { timeoutMs: 20_000 });
}

for (const backend of BACKENDS) {
  test(`kernel pings ${SYNACK_V4} through the TUN and gets every echo answered (${backend})`, { skip: skipFor(backend, ['ping']) }, async () => {
    await withNetns(
      async (ns) => {
        assert.equal(ns.tun.backendKind, backend);
        const responder = startEchoResponder(ns.tun, SYNACK_V4, SYNACK_V6);
        const r = await ping(ns, 4, SYNACK_V4, 3);
        assert.match(r.stdout, /3 packets transmitted, 3 received/, `ping said:\n${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.stdout, /wrong data|DUP!|truncated|BAD CHECKSUM/);
        assert.equal(r.code, 0);
        // ping reads a raw socket, which sees replies before ICMP validates
        // them: the counters say whether the kernel itself accepted them.
        const c = await kernelCounters(ns);
        assert.equal(c.get('Icmp.InEchoReps'), 3);
        assert.equal(c.get('Icmp.InCsumErrors'), 0);
        assert.equal(c.get('Ip.InHdrErrors'), 0);
        const v4 = responder.requests.filter((q) => q.family === 4);
        assert.deepEqual(
          v4.map((q) => [q.src, q.dst, q.seq, q.answered]),
          [
            [KERNEL_V4, SYNACK_V4, 1, true],
            [KERNEL_V4, SYNACK_V4, 2, true],
            [KERNEL_V4, SYNACK_V4, 3, true],
          ],
        );
        assert.equal(new Set(v4.map((q) => q.id)).size, 1, 'one ping run uses one identifier');
        assert.deepEqual(responder.malformed, []);
        assert.equal(ns.tun.stats.txErrors, 0);
        assert.ok(ns.tun.stats.txPackets >= 3);
      },
      { tun: { backend } },
    );
  });

  test(`kernel pings ${SYNACK_V6} (ICMPv6) through the TUN and gets every echo answered (${backend})`, { skip: skipFor(backend, ['ping']) }, async () => {
    await withNetns(
      async (ns) => {
        const responder = startEchoResponder(ns.tun, SYNACK_V4, SYNACK_V6);
        const r = await ping(ns, 6, SYNACK_V6, 3);
        assert.match(r.stdout, /3 packets transmitted, 3 received/, `ping said:\n${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.stdout, /wrong data|DUP!|truncated|BAD CHECKSUM/);
        const c = await kernelCounters(ns);
        assert.equal(c.get('Icmp6InEchoReplies'), 3);
        assert.equal(c.get('Icmp6InCsumErrors'), 0);
        assert.equal(c.get('Ip6InHdrErrors'), 0);
        const v6 = responder.requests.filter((q) => q.family === 6);
        assert.deepEqual(
          v6.map((q) => [q.src, q.dst, q.seq, q.answered]),
          [
            [KERNEL_V6, SYNACK_V6, 1, true],
            [KERNEL_V6, SYNACK_V6, 2, true],
            [KERNEL_V6, SYNACK_V6, 3, true],
          ],
        );
        assert.deepEqual(responder.malformed, []);
        assert.equal(ns.tun.stats.txErrors, 0);
      },
      { tun: { backend } },
    );
  });
}

test('an echo nobody answers reaches the TUN and the kernel reports it lost', { skip: interopSkip(['ping']) }, async () => {
  await withNetns(async (ns) => {
    // 10.77.0.3 is on the TUN's subnet but not ours: the kernel still routes
    // the request to the device, and the responder stays silent. This shows
    // the replies above come from the responder, not from the kernel itself.
    const responder = startEchoResponder(ns.tun, SYNACK_V4, SYNACK_V6);
    const r = await ns.run(['ping', '-4', '-n', '-c', '1', '-W', '1', '10.77.0.3'], { timeoutMs: 10_000 });
    assert.match(r.stdout, /1 packets transmitted, 0 received/);
    assert.notEqual(r.code, 0);
    assert.deepEqual(
      responder.requests.map((q) => [q.dst, q.answered]),
      [['10.77.0.3', false]],
    );
    assert.equal(ns.tun.stats.txPackets, 0);
  });
});

test(
  'a kernel capture of the pings prints the same with synack trace -nn as with tcpdump -r -nn',
  { skip: interopSkip(['ping', 'tcpdump']) },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'synack-tun-'));
    const file = join(dir, 'tun.pcap');
    try {
      await withNetns(async (ns) => {
        const responder = startEchoResponder(ns.tun, SYNACK_V4, SYNACK_V6);
        const capture = await startCapture(ns, file);
        const r4 = await ping(ns, 4, SYNACK_V4, 2);
        const r6 = await ping(ns, 6, SYNACK_V6, 2);
        // ping may exit before tcpdump has read the last reply from its ring,
        // and an interrupt then loses it: wait (at most 5 s) until the file
        // holds all four replies.
        for (let t = 0; t < 50 && (spawnSync('tcpdump', ['-r', file, '-nn'], { encoding: 'utf8' }).stdout.match(/echo reply/g) ?? []).length < 4; t++) {
          await new Promise((res) => setTimeout(res, 100));
        }
        const tcpdumpSaid = await capture.stop();
        assert.equal(r4.code, 0, r4.stdout);
        assert.equal(r6.code, 0, r6.stdout);
        assert.equal(responder.requests.filter((q) => q.answered).length, 4);
        assert.match(tcpdumpSaid, /\b([4-9]|\d\d+) packets captured/, tcpdumpSaid);
      });
      assert.ok(statSync(file).size > 24, 'the capture holds packets');
      const env = { ...process.env, TZ: 'UTC' };
      const theirs = spawnSync('tcpdump', ['-r', file, '-nn'], { encoding: 'utf8', env });
      assert.equal(theirs.status, 0, theirs.stderr);
      const ours = spawnSync(process.execPath, [CLI, 'trace', '-nn', file], { encoding: 'utf8', env });
      assert.equal(ours.status, 0, ours.stderr);
      // The capture is the kernel's own view of the TUN: both directions.
      const lines = theirs.stdout.split('\n');
      assert.equal(lines.filter((l) => l.includes(`${KERNEL_V4} > ${SYNACK_V4}: ICMP echo request`)).length, 2, theirs.stdout);
      assert.equal(lines.filter((l) => l.includes(`${SYNACK_V4} > ${KERNEL_V4}: ICMP echo reply`)).length, 2, theirs.stdout);
      assert.equal(lines.filter((l) => l.includes(`${KERNEL_V6} > ${SYNACK_V6}: ICMP6, echo request`)).length, 2, theirs.stdout);
      assert.equal(lines.filter((l) => l.includes(`${SYNACK_V6} > ${KERNEL_V6}: ICMP6, echo reply`)).length, 2, theirs.stdout);
      assert.equal(ours.stdout, theirs.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
