// The Internet checksum's cost, which every packet pays twice (sent and
// received): the 16-bit byte loop, the 32-bit word loop, and
// onesComplementSum, which hands ranges of SIMD_FROM bytes or more to the
// WebAssembly SIMD kernel (src/wire/checksum-simd.ts). The sizes around
// SIMD_FROM show where the kernel, copy included, starts to win.

import { SIMD_FROM, onesComplementSum, wordSum } from '../src/wire/checksum.js';
import { simdSum } from '../src/wire/checksum-simd.js';
import type { Bench, BenchRow } from './harness.js';

/** The plain RFC 1071 loop: one 16-bit word from two bytes at a time. */
function byteLoop(data: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (data[i]! << 8) | data[i + 1]!;
  if (i < end) sum += data[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

function gbps(f: (d: Uint8Array, s: number, e: number) => number, data: Uint8Array, start: number, end: number): number {
  const bytes = end - start;
  const iters = Math.max(100, Math.floor(1e9 / bytes));
  let x = 0;
  for (let k = 0; k < Math.min(iters, 1000); k++) x ^= f(data, start, end); // warm up
  const t0 = performance.now();
  for (let k = 0; k < iters; k++) x ^= f(data, start, end);
  const ms = performance.now() - t0;
  if (x === -1) console.log(x); // keep the result alive
  return (iters * bytes) / ms / 1e6;
}

export const checksumBench: Bench = {
  name: 'checksum',
  description: 'Internet checksum: the 16-bit byte loop, the 32-bit word loop, and the SIMD kernel',
  async run() {
    const rows: BenchRow[] = [];
    const kernel = simdSum === undefined ? 'no SIMD kernel here: the word loop' : `SIMD kernel from ${SIMD_FROM} B`;
    for (const size of [256, 512, 1460, 65495]) {
      const buf = new Uint8Array(size + 64);
      for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
      // An IPv4 header before the TCP segment: the range starts 20 bytes in.
      const base = gbps(byteLoop, buf, 20, 20 + size);
      const words = gbps((d, s, e) => wordSum(d, s, e, 0), buf, 20, 20 + size);
      const fast = gbps((d, s, e) => onesComplementSum(d, s, e), buf, 20, 20 + size);
      rows.push({ bench: 'checksum', case: `byte loop, ${size} B`, value: base, unit: 'GB/s' });
      rows.push({ bench: 'checksum', case: `32-bit word loop, ${size} B`, value: words, unit: 'GB/s', note: `${(words / base).toFixed(1)}× the byte loop` });
      rows.push({
        bench: 'checksum',
        case: `onesComplementSum, ${size} B`,
        value: fast,
        unit: 'GB/s',
        note: `${(fast / words).toFixed(1)}× the word loop (${size >= SIMD_FROM ? kernel : 'below SIMD_FROM: the word loop'})`,
      });
    }
    return rows;
  },
};
