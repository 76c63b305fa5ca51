// The tcpdump 4.99.3 text-format corpus: every case of the manifest is run and
// compared byte for byte; the summary names every case that differs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SHARED } from '../helpers/paths.js';
import { readManifest, runCase, type CaseResult } from './tcpdump-suite.js';

const DIR = join(SHARED, 'conformance', 'tcpdump');
/** Tiers in which every case must be identical. */
const STRICT_TIERS = new Set(['core', 'core+icmp', 'core-malformed', 'icmp-udp', 'ipv6-exthdr']);

test('tcpdump conformance corpus', () => {
  const rows = readManifest(DIR);
  assert.ok(rows.length >= 256, `manifest has ${rows.length} rows`);
  const results: CaseResult[] = rows.map((r) => runCase(DIR, r));
  const lines = results.reduce((n, r) => n + r.lines, 0);
  const same = results.reduce((n, r) => n + r.sameLines, 0);
  const identical = results.filter((r) => r.identical).length;
  const differing = results.filter((r) => !r.identical);
  const report = [
    `tcpdump conformance: ${identical}/${results.length} cases identical, ${same}/${lines} lines identical (${((100 * same) / lines).toFixed(2)}%)`,
    ...differing.map((r) =>
      r.error !== undefined
        ? `  differs: ${r.row.name} [${r.row.tier}] threw: ${r.error.split('\n')[0]}`
        : `  differs: ${r.row.name} [${r.row.tier}] ${r.sameLines}/${r.lines} lines; first at line ${r.firstDiff?.line}\n    expected: ${r.firstDiff?.expected}\n    got:      ${r.firstDiff?.got}`,
    ),
  ].join('\n');
  console.log(report);
  const strictFailures = differing.filter((r) => STRICT_TIERS.has(r.row.tier)).map((r) => r.row.name);
  assert.deepEqual(strictFailures, [], 'cases in the core tiers must all be identical');
  assert.ok(same / lines >= 0.95, `only ${same}/${lines} lines identical`);
});
