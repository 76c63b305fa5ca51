// What a fresh buffer costs: `new Uint8Array(n)` at 64 bytes (on V8's heap)
// and 65 (a backing store of its own), and at packet sizes against a view
// carved from a shared slab (src/wire/slab.ts): a full Ethernet segment
// and 64 KB. Each loop
// keeps the last 64 buffers alive, as packets in flight would be.

import { Slab } from '../src/wire/slab.js';
import type { Bench, BenchRow } from './harness.js';

function perMicro(make: (n: number) => Uint8Array, size: number): number {
  const keep: Uint8Array[] = new Array<Uint8Array>(64);
  const iters = size > 8192 ? 20_000 : 200_000;
  for (let k = 0; k < 2000; k++) keep[k & 63] = make(size); // warm up
  const t0 = performance.now();
  for (let k = 0; k < iters; k++) {
    const b = make(size);
    b[0] = k;
    keep[k & 63] = b;
  }
  const ms = performance.now() - t0;
  return iters / (ms * 1000);
}

export const allocBench: Bench = {
  name: 'alloc',
  description: 'fresh packet buffers: new Uint8Array against views of a shared slab',
  async run() {
    const rows: BenchRow[] = [];
    // A typed array of up to 64 bytes lives on V8's heap; from 65 on it gets a backing store.
    for (const size of [64, 65]) {
      rows.push({ bench: 'alloc', case: `new Uint8Array(${size})`, value: perMicro((n) => new Uint8Array(n), size), unit: 'buffers/µs' });
    }
    for (const size of [1500, 65_535]) {
      const slab = new Slab(1 << 20, 65_536 + 128);
      const own = perMicro((n) => new Uint8Array(n), size);
      const carved = perMicro((n) => slab.alloc(n), size);
      rows.push({ bench: 'alloc', case: `new Uint8Array(${size})`, value: own, unit: 'buffers/µs' });
      rows.push({ bench: 'alloc', case: `Slab.alloc(${size})`, value: carved, unit: 'buffers/µs', note: `${(carved / own).toFixed(1)}× new Uint8Array` });
    }
    return rows;
  },
};
