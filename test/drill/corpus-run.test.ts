// The whole packetdrill corpus run against the synack stack in virtual
// time: per-suite counts of passed, failed and unsupported scripts, and a
// regression baseline — every script listed in passing.json must still
// pass. Scripts that pass and are not listed are printed so the list can
// grow (DRILL_UPDATE_PASSING=1 rewrites it from this run). The scripts the
// inventory calls portable each pass or carry a note naming the difference.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runFile } from '../../src/drill/run-file.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { CORPUS, SUITES, corpusFiles, type Suite } from './corpus.js';

const PASSING = join(REPO_ROOT, 'test', 'drill', 'passing.json');
const NOTES = join(REPO_ROOT, 'test', 'drill', 'portable-notes.json');

interface Baseline {
  note: string;
  passing: string[];
}

interface Outcome {
  status: 'pass' | 'fail' | 'unsupported';
  error?: string;
}

let cache: { status: Map<string, Outcome>; ms: number } | undefined;

/** Every corpus script run once (both tests below read the same run). */
function corpusRun(): { status: Map<string, Outcome>; ms: number } {
  if (cache !== undefined) return cache;
  const status = new Map<string, Outcome>();
  const started = Date.now();
  for (const f of corpusFiles()) {
    const r = runFile(f.path, { name: f.rel });
    const entry: Outcome = { status: r.result.status };
    if (r.result.error !== undefined) entry.error = r.result.error;
    status.set(f.rel, entry);
  }
  cache = { status, ms: Date.now() - started };
  return cache;
}

test('packetdrill corpus against the stack: counts per suite; every script in passing.json still passes', () => {
  const baseline = JSON.parse(readFileSync(PASSING, 'utf8')) as Baseline;
  const files = corpusFiles();
  assert.ok(files.length >= 1000, `corpus has ${files.length} scripts`);
  const counts = new Map<Suite, { pass: number; fail: number; unsupported: number }>(SUITES.map((s) => [s, { pass: 0, fail: 0, unsupported: 0 }]));
  const { status, ms } = corpusRun();
  for (const f of files) counts.get(f.suite)![status.get(f.rel)!.status]++;
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
    // The baseline takes a google or linux script only if it passes in every
    // family packetdrill's harness would run it in (the next test checks that).
    const byRel = new Map(files.map((f) => [f.rel, f]));
    const passing = [...status]
      .filter(([rel, s]) => s.status === 'pass' && otherFamiliesPass(byRel.get(rel)!))
      .map(([rel]) => rel)
      .sort();
    writeFileSync(PASSING, JSON.stringify({ note: baseline.note, passing }, null, 2) + '\n');
  }
  assert.deepEqual(lost, [], 'scripts of the baseline that no longer pass');
  // The baseline is a real one: a good share of each suite with runnable scripts passes.
  for (const s of SUITES) assert.ok(counts.get(s)!.pass > 0, `some ${s} scripts pass`);
});

/** Families besides IPv4 that packetdrill's harness runs a google or linux script in (none when the script picks one). */
function otherFamilies(f: { suite: Suite; path: string; rel: string }): Array<'ipv6' | 'ipv4-mapped-ipv6'> {
  if (f.suite === 'freebsd') return [];
  const text = readFileSync(f.path, 'utf8');
  // A script that picks its family, by flag, name or an IPv4 address for either end, runs in that one only.
  if (/--ip_version/.test(text) || /v[46]\.pkt$/.test(f.rel) || /--(remote|local)_ip=\d+\.\d+\.\d+\.\d+/.test(text)) return [];
  return ['ipv6', 'ipv4-mapped-ipv6'];
}

function otherFamiliesPass(f: { suite: Suite; path: string; rel: string }): boolean {
  return otherFamilies(f).every((ipVersion) => runFile(f.path, { name: f.rel, ipVersion }).result.status === 'pass');
}

test('baseline scripts of the google and linux suites pass in the other address families too (IPv6, IPv4-mapped IPv6)', () => {
  const baseline = JSON.parse(readFileSync(PASSING, 'utf8')) as Baseline;
  const failures: string[] = [];
  let runs = 0;
  for (const f of corpusFiles()) {
    if (!baseline.passing.includes(f.rel)) continue;
    for (const ipVersion of otherFamilies(f)) {
      runs++;
      const r = runFile(f.path, { name: f.rel, ipVersion });
      if (r.result.status !== 'pass') failures.push(`${f.rel} (${ipVersion}): ${r.result.error ?? r.result.status}`);
    }
  }
  console.log(`packetdrill baseline in other address families: ${runs - failures.length}/${runs} runs pass`);
  assert.ok(runs >= 20, `${runs} runs`);
  assert.deepEqual(failures, []);
});

/**
 * The scripts the corpus inventory marks portable (P: only the portable
 * socket API, no tcp_info asserts, no extra sysctls), from its google and
 * Linux tables, as corpus paths.
 */
function portableScripts(): string[] {
  const inventory = readFileSync(join(CORPUS, 'INVENTORY.md'), 'utf8');
  const out: string[] = [];
  let section = '';
  for (const line of inventory.split('\n')) {
    if (line.startsWith('## ')) section = line;
    const m = /^\| ([^|]+\.pkt) \| [^|]* \| P \|/.exec(line);
    if (m === null) continue;
    if (section.startsWith('## 3')) out.push(`google/gtests/net/tcp/${m[1]!.trim()}`);
    else if (section.startsWith('## 4')) out.push(`linux/${m[1]!.trim()}`);
  }
  return out;
}

test('portable scripts: each passes, or portable-notes.json says which difference stops it (and no note is stale)', () => {
  const notes = (JSON.parse(readFileSync(NOTES, 'utf8')) as { differences: Record<string, string> }).differences;
  const { status } = corpusRun();
  const portable = portableScripts().filter((rel) => status.has(rel));
  assert.ok(portable.length >= 25, `${portable.length} portable scripts in the corpus`);
  const problems: string[] = [];
  const lines: string[] = [];
  for (const rel of portable) {
    const s = status.get(rel)!;
    const note = notes[rel];
    lines.push(`  ${s.status.padEnd(11)} ${rel}${s.status === 'pass' ? '' : `\n      ${note ?? s.error ?? ''}`}`);
    if (s.status === 'pass' && note !== undefined) problems.push(`${rel} passes: remove its note`);
    if (s.status !== 'pass' && note === undefined) problems.push(`${rel} does not pass and has no note: ${s.error ?? s.status}`);
  }
  for (const rel of Object.keys(notes)) if (!portable.includes(rel)) problems.push(`${rel} has a note but is not a portable script of the corpus`);
  const passed = portable.filter((rel) => status.get(rel)!.status === 'pass').length;
  console.log([`portable (P) scripts of the corpus: ${passed}/${portable.length} pass`, ...lines].join('\n'));
  assert.deepEqual(problems, []);
});
