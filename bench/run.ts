// `npm run bench [name...]`: runs the registered benchmarks (all, or those
// whose name contains one of the arguments) and prints one table.

import { writeFileSync } from 'node:fs';
import { formatTable, type Bench, type BenchRow } from './harness.js';
import { tunBench } from './tun.js';
import { interopBench } from './interop.js';
import { connectionsBench } from './connections.js';
import { bulkBench } from './bulk.js';
import { checksumBench } from './checksum.js';
import { allocBench } from './alloc.js';

const BENCHES: Bench[] = [bulkBench, checksumBench, allocBench, connectionsBench, tunBench, interopBench];

async function main(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write('usage: node dist/bench/run.js [name...]\n\n');
    for (const b of BENCHES) process.stdout.write(`  ${b.name.padEnd(12)} ${b.description}\n`);
    return 0;
  }
  const chosen = BENCHES.filter((b) => argv.length === 0 || argv.some((a) => b.name.includes(a)));
  if (chosen.length === 0) {
    process.stderr.write(`no benchmark matches ${argv.join(' ')}\n`);
    return 2;
  }
  const rows: BenchRow[] = [];
  for (const b of chosen) {
    process.stderr.write(`bench ${b.name}: ${b.description}\n`);
    rows.push(...(await b.run()));
  }
  process.stdout.write(formatTable(rows));
  // The same rows as JSON, for tracking figures across runs.
  const json = process.env['SYNACK_BENCH_JSON'] ?? 'bench-results.json';
  writeFileSync(json, JSON.stringify({ date: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
  process.stderr.write(`bench: rows written to ${json}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
