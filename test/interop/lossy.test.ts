// Bulk transfers through an impaired TUN: synack's side of the link loses
// 5% of the packets and holds back 5% to be overtaken, in both directions
// (src/link/impair.ts, seeded). The kernel's TCP recovers the segments it
// sends to synack; synack recovers its own. sha256sum judges the result.
//
// Sizes: kernel → synack SYNACK_INTEROP_MB (default 100); synack → kernel
// SYNACK_INTEROP_LOSSY_TX_MB (default 100, see tools.ts, lossyTxMB).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { impair, type ImpairSpec } from '../../src/link/impair.js';
import { RealClock } from '../../src/stack/index.js';
import { interopSkip, KERNEL_V4, SYNACK_V4, withNetns } from './netns.js';
import { HASH_PORT, interopMB, kernelSink, lossyTxMB, MB, mbText, sendFile, sha256sum, stackOn, startHashServer, writeDataFile } from './tools.js';

const SPEC: ImpairSpec = { loss: 0.05, reorder: 0.05 };
const rxMB = interopMB();
const txMB = lossyTxMB();

test(
  `under 5% loss + 5% reordering both ways: ${mbText(rxMB)} kernel → synack and ${mbText(txMB)} synack → kernel arrive intact`,
  { skip: interopSkip(['nc', 'ss', 'sha256sum']) },
  async (t) => {
    t.diagnostic(`kernel → synack ${mbText(rxMB)} (SYNACK_INTEROP_MB), synack → kernel ${mbText(txMB)} (SYNACK_INTEROP_LOSSY_TX_MB, capped by SYNACK_INTEROP_MB)`);
    const dir = mkdtempSync(join(tmpdir(), 'synack-lossy-'));
    try {
      const rxFile = join(dir, 'rx.bin');
      const txFile = join(dir, 'tx.bin');
      writeDataFile(rxFile, Math.round(rxMB * MB), 7);
      writeDataFile(txFile, Math.round(txMB * MB), 8);
      const rxSha = sha256sum(rxFile);
      const txSha = sha256sum(txFile);
      await withNetns(
        async (ns) => {
          const clock = new RealClock();
          const device = impair(ns.tun, { clock, seed: 2024, tx: SPEC, rx: SPEC });
          const stack = stackOn(device, clock);
          try {
            await startHashServer(stack);
            let t0 = performance.now();
            const up = await ns.run(['sh', '-c', `nc -N ${SYNACK_V4} ${HASH_PORT} < '${rxFile}'`], { timeoutMs: 600_000 });
            assert.equal(up.code, 0, up.stderr);
            assert.equal(up.stdout, `${Math.round(rxMB * MB)} ${rxSha}\n`);
            const rxSecs = (performance.now() - t0) / 1000;
            const afterRx = { ...device.stats.rx };
            t.diagnostic(
              `kernel → synack: ${((rxMB * MB * 8) / rxSecs / 1e6).toFixed(1)} Mbit/s; the kernel's packets lost ${afterRx.lost}, reordered ${afterRx.reordered} of ${afterRx.packets}`,
            );
            // The impairment really happened, at about the asked rate.
            assert.ok(afterRx.lost > afterRx.packets * 0.03 && afterRx.lost < afterRx.packets * 0.07, JSON.stringify(afterRx));
            assert.ok(afterRx.reordered > afterRx.packets * 0.03, JSON.stringify(afterRx));

            const sink = kernelSink(ns, 'nc -l -d 5202 | sha256sum', 5202);
            await sink.ready;
            const tx0 = { ...device.stats.tx };
            const retx0 = stack.stats.tcpRetransmits;
            t0 = performance.now();
            await sendFile(stack, KERNEL_V4, 5202, txFile);
            assert.equal(await sink.sha256, txSha);
            const txSecs = (performance.now() - t0) / 1000;
            const lost = device.stats.tx.lost - tx0.lost;
            t.diagnostic(
              `synack → kernel: ${((txMB * MB * 8) / txSecs / 1e6).toFixed(2)} Mbit/s; synack's packets lost ${lost} of ${device.stats.tx.packets - tx0.packets}, ${stack.stats.tcpRetransmits - retx0} retransmissions`,
            );
            assert.ok(lost > 0, 'some of synack’s segments were lost');
            assert.ok(stack.stats.tcpRetransmits - retx0 >= lost * 0.5, 'synack retransmitted');
          } finally {
            stack.close();
          }
        },
        { tun: { txQueueLen: 5000 } },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
