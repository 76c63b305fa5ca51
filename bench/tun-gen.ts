// Packet generator for the TUN benchmark, run as a child process so that it
// has a CPU of its own: opens a TUN device, says "open NAME", and on a
// "go SECONDS" line writes UDP packets (SRC -> DST, SIZE bytes of IPv4) as
// fast as it can for that long, then says "sent PACKETS ERRORS". It closes
// its device when its stdin ends.
//
//   node tun-gen.js BACKEND SRC DST SIZE [NAME]

import { createInterface } from 'node:readline';
import { openTun } from '../src/link/tun/index.js';
import { udpPackets } from './tun-packets.js';

async function main(argv: string[]): Promise<void> {
  const [backend, src, dst, size, name] = argv;
  const tun = await openTun({ backend: backend === 'python' ? 'python' : 'addon', name: name ?? '' });
  tun.onReceive = () => {};
  process.stdout.write(`open ${tun.name}\n`);
  const batch = udpPackets(src ?? '10.78.0.2', dst ?? '10.77.0.2', Number(size ?? '1428'), 64);
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const m = /^go ([\d.]+)$/.exec(line.trim());
    if (m === null) continue;
    const until = performance.now() + Number(m[1]) * 1000;
    const before = { ...tun.stats };
    while (performance.now() < until) {
      for (let i = 0; i < 16; i++) tun.sendBatch(batch);
      // Let the event loop run now and then (stdin, the device's own reads).
      await new Promise((r) => setImmediate(r));
    }
    process.stdout.write(`sent ${tun.stats.txPackets - before.txPackets} ${tun.stats.txErrors - before.txErrors}\n`);
  }
  tun.close();
  await tun.closed;
}

main(process.argv.slice(2)).catch((e: unknown) => {
  process.stderr.write(`tun-gen: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
