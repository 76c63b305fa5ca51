// Bulk transfers between synack and the kernel's TCP through a TUN, with the
// kernel's own tools at the other end (nc, socat) and sha256sum as judge:
//   kernel → synack   nc sends a file to a synack server that hashes what
//                     it reads and answers with the hash (IPv4);
//   kernel ↔ synack   socat sends a file through synack's echo server and
//                     writes what comes back (IPv6);
//   synack → kernel   synack sends a file to `nc -l` and to socat's listener
//                     (its trains go as super-segments the kernel cuts, when
//                     the TUN has segmentation offload).
// Size: SYNACK_INTEROP_MB megabytes (default 100).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startService } from '../../src/cli/serve.js';
import { interopSkip, KERNEL_V4, KERNEL_V6, SYNACK_V4, SYNACK_V6, withNetns } from './netns.js';
import { HASH_PORT, interopMB, kernelSink, MB, mbText, sendFile, sha256sum, stackOn, startHashServer, writeDataFile } from './tools.js';

const size = interopMB();
const bytes = Math.round(size * MB);

test(`bulk ${mbText(size)} each way between the kernel's nc/socat and synack, sha256-checked`, { skip: interopSkip(['nc', 'socat', 'ss', 'sha256sum']) }, async (t) => {
  t.diagnostic(`transfer size ${mbText(size)} (SYNACK_INTEROP_MB=${process.env['SYNACK_INTEROP_MB'] ?? 'unset, default 100'})`);
  const dir = mkdtempSync(join(tmpdir(), 'synack-bulk-'));
  const file = join(dir, 'data.bin');
  try {
    writeDataFile(file, bytes, 42);
    const want = sha256sum(file);
    await withNetns(
      async (ns) => {
        const stack = stackOn(ns.tun);
        try {
          await startHashServer(stack);
          const echo = startService(stack, { name: 'echo', port: 7 });
          await echo.listening;

          // kernel → synack: nc sends, half-closes (-N), prints synack's answer.
          let t0 = performance.now();
          const up = await ns.run(['sh', '-c', `nc -N ${SYNACK_V4} ${HASH_PORT} < '${file}'`], { timeoutMs: 300_000 });
          assert.equal(up.code, 0, up.stderr);
          assert.equal(up.stdout, `${bytes} ${want}\n`, 'what synack read, by its own count and hash');
          t.diagnostic(`kernel → synack (nc, IPv4): ${((bytes * 8) / ((performance.now() - t0) / 1000) / 1e6).toFixed(0)} Mbit/s`);

          // kernel → synack → kernel: socat through the echo server; -t: wait
          // for the echo's tail after our FIN.
          t0 = performance.now();
          const round = await ns.run(['sh', '-c', `socat -t 120 -b 65536 - 'TCP6:[${SYNACK_V6}]:7' < '${file}' | sha256sum`], { timeoutMs: 300_000 });
          assert.equal(round.code, 0, round.stderr);
          assert.equal(round.stdout.split(' ')[0], want, 'the echo through synack (socat, IPv6)');
          t.diagnostic(`kernel ⇄ synack echo (socat, IPv6): ${((bytes * 8) / ((performance.now() - t0) / 1000) / 1e6).toFixed(0)} Mbit/s each way`);

          // synack → kernel: to nc -l (IPv4), then to socat's listener (IPv6).
          const nc = kernelSink(ns, 'nc -l -d 5202 | sha256sum', 5202);
          await nc.ready;
          t0 = performance.now();
          await sendFile(stack, KERNEL_V4, 5202, file);
          assert.equal(await nc.sha256, want, 'what nc -l received from synack');
          t.diagnostic(`synack → kernel (nc, IPv4): ${((bytes * 8) / ((performance.now() - t0) / 1000) / 1e6).toFixed(0)} Mbit/s`);

          const so = kernelSink(ns, "socat -u -b 65536 'TCP6-LISTEN:5203,ipv6only=1' - | sha256sum", 5203);
          await so.ready;
          t0 = performance.now();
          await sendFile(stack, KERNEL_V6, 5203, file);
          assert.equal(await so.sha256, want, "what socat's listener received from synack");
          t.diagnostic(`synack → kernel (socat, IPv6): ${((bytes * 8) / ((performance.now() - t0) / 1000) / 1e6).toFixed(0)} Mbit/s`);

          echo.close();
          t.diagnostic(`super-segments written: ${ns.tun.stats.txSuperSegments} (device gsoMaxSize ${ns.tun.gsoMaxSize}), read: ${ns.tun.stats.rxSuperSegments}`);
          assert.equal(ns.tun.stats.txErrors, 0, ns.tun.stats.txLastError);
          // With the addon's virtio headers, synack's trains went to the
          // kernel as super-segments (segmentation offload), and the
          // kernel's sockets took them: the hashes above match.
          if (ns.tun.gsoMaxSize > 0) assert.ok(ns.tun.stats.txSuperSegments > 0, 'super-segments were written');
          // And the kernel's trains came as super-segments, cut here.
          if (ns.tun.readsSuperSegments) assert.ok(ns.tun.stats.rxSuperSegments > 0, 'super-segments were read');
          assert.equal(ns.tun.stats.txSuperSegments, stack.stats.tcpOutSuper);
          assert.equal(stack.stats.drops.badChecksum, 0);
        } finally {
          stack.close();
        }
      },
      { tun: { txQueueLen: 5000 } },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
