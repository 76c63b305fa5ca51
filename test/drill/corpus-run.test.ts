// The whole packetdrill corpus run against the synack stack in virtual
// time: per-suite counts of passed, failed and unsupported scripts, and a
// regression baseline — every script listed in passing.json must still
// pass. Scripts that pass and are not listed are printed so the list can
// grow (DRILL_UPDATE_PASSING=1 rewrites it from this run).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFile } from '../../src/drill/run-file.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { SUITES, corpusFiles, type Suite } from './corpus.js';

const PASSING = join(REPO_ROOT, 'test', 'drill', 'passing.json');

interface Baseline {
  note: string;
  passing: string[];
}

test('packetdrill corpus against the stack: counts per suite; every script in passing.json still passes', () => {
  const baseline = JSON.parse(readFileSync(PASSING, 'utf8')) as Baseline;
  const files = corpusFiles();
  assert.ok(files.length >= 1000, `corpus has ${files.length} scripts`);
  const counts = new Map<Suite, { pass: number; fail: number; unsupported: number }>(SUITES.map((s) => [s, { pass: 0, fail: 0, unsupported: 0 }]));
  const status = new Map<string, { status: string; error?: string }>();
  const started = Date.now();
  for (const f of files) {
    const r = runFile(f.path, { name: f.rel });
    counts.get(f.suite)![r.result.status]++;
    const entry: { status: string; error?: string } = { status: r.result.status };
    if (r.result.error !== undefined) entry.error = r.result.error;
    status.set(f.rel, entry);
  }
  const ms = Date.now() - started;
  const lost = baseline.passing.filter((rel) => status.get(rel)?.status !== 'pass').map((rel) => `${rel}: ${status.get(rel)?.error ?? 'not in the corpus'}`);
  const listed = new Set(baseline.passing);
  const fresh = [...status].filter(([rel, s]) => s.status === 'pass' && !listed.has(rel)).map(([rel]) => rel);
  const total = { pass: 0, fail: 0, unsupported: 0 };
  for (const c of counts.values()) for (const k of ['pass', 'fail', 'unsupported'] as const) total[k] += c[k];
  console.log(
    [
      `packetdrill corpus against synack (${files.length} scripts in ${(ms / 1000).toFixed(1)} s): ${total.pass} passed, ${total.fail} failed, ${total.unsupported} unsupported`,
      ...SUITES.map((s) => {
        const c = counts.get(s)!;
        return `  ${s.padEnd(8)} ${c.pass} passed, ${c.fail} failed, ${c.unsupported} unsupported`;
      }),
      ...(fresh.length > 0 ? [`  ${fresh.length} passing script(s) not yet in passing.json:`, ...fresh.map((r) => `    ${r}`)] : []),
    ].join('\n'),
  );
  if (process.env['DRILL_UPDATE_PASSING'] === '1') {
    const passing = [...status].filter(([, s]) => s.status === 'pass').map(([rel]) => rel).sort();
    writeFileSync(PASSING, JSON.stringify({ note: baseline.note, passing }, null, 2) + '\n');
  }
  assert.deepEqual(lost, [], 'scripts of the baseline that no longer pass');
  // The baseline is a real one: a good share of each suite with runnable scripts passes.
  for (const s of SUITES) assert.ok(counts.get(s)!.pass > 0, `some ${s} scripts pass`);
});

test('baseline scripts of the google and linux suites pass in the other address families too (IPv6, IPv4-mapped IPv6)', () => {
  const baseline = JSON.parse(readFileSync(PASSING, 'utf8')) as Baseline;
  const failures: string[] = [];
  let runs = 0;
  for (const f of corpusFiles()) {
    if (f.suite === 'freebsd' || !baseline.passing.includes(f.rel)) continue;
    // packetdrill's harness runs each script in every family unless the script chooses one.
    if (/--ip_version/.test(readFileSync(f.path, 'utf8')) || /v[46]\.pkt$/.test(f.rel)) continue;
    for (const ipVersion of ['ipv6', 'ipv4-mapped-ipv6'] as const) {
      runs++;
      const r = runFile(f.path, { name: f.rel, ipVersion });
      if (r.result.status !== 'pass') failures.push(`${f.rel} (${ipVersion}): ${r.result.error ?? r.result.status}`);
    }
  }
  console.log(`packetdrill baseline in other address families: ${runs - failures.length}/${runs} runs pass`);
  assert.ok(runs >= 20, `${runs} runs`);
  assert.deepEqual(failures, []);
});
