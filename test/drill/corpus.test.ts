// Every script of the shared packetdrill corpus (google, linux, freebsd)
// parses, or fails with exactly the error and reason recorded in
// parse-exceptions.json. Scripts with #ifdef blocks are also parsed with each
// branch selected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScript } from '../../src/drill/parser.js';
import { extractFeatures } from '../../src/drill/features.js';
import { shellFileReader } from '../../src/drill/load.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { CORPUS_DEFINES, SUITES, corpusFiles, type Suite } from './corpus.js';

interface Exceptions {
  exceptions: Record<string, { reason: string; error: string }>;
}

const exceptions = (JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'drill', 'parse-exceptions.json'), 'utf8')) as Exceptions).exceptions;

test('packetdrill corpus: every script parses or is a documented exception', () => {
  const files = corpusFiles();
  assert.ok(files.length >= 1000, `corpus has ${files.length} scripts`);
  const counts = new Map<Suite, { total: number; parsed: number; excepted: number }>(SUITES.map((s) => [s, { total: 0, parsed: 0, excepted: 0 }]));
  const unexpected: string[] = [];
  const seen = new Set<string>();
  let branches = 0;
  for (const f of files) {
    const c = counts.get(f.suite)!;
    c.total++;
    const text = readFileSync(f.path, 'utf8');
    const r = parseScript(text, { file: f.rel, defines: CORPUS_DEFINES });
    const ex = exceptions[f.rel];
    if (ex !== undefined) {
      seen.add(f.rel);
      if (r.ok) unexpected.push(`${f.rel}: listed as an exception but parses now; remove it from parse-exceptions.json`);
      else if (`${r.error.line}:${r.error.column}: ${r.error.message}` !== ex.error) {
        unexpected.push(`${f.rel}: listed error "${ex.error}" but got "${r.error.line}:${r.error.column}: ${r.error.message}"`);
      } else c.excepted++;
      continue;
    }
    if (!r.ok) {
      unexpected.push(`${f.rel}:${r.error.line}:${r.error.column}: ${r.error.message}`);
      continue;
    }
    c.parsed++;
    if (text.includes('#ifdef')) {
      for (const branch of ['STANDARD', 'FreeBSD']) {
        branches++;
        const rb = parseScript(text, { file: f.rel, defines: { ...CORPUS_DEFINES, [branch]: '1' } });
        if (!rb.ok) unexpected.push(`${f.rel} with -D ${branch}:${rb.error.line}:${rb.error.column}: ${rb.error.message}`);
        else assert.ok(rb.script.events.length > r.script.events.length, `${f.rel}: the ${branch} branch adds events`);
      }
    }
  }
  for (const rel of Object.keys(exceptions)) if (!seen.has(rel)) unexpected.push(`${rel}: listed in parse-exceptions.json but not in the corpus`);
  const total = files.length;
  const parsed = [...counts.values()].reduce((n, c) => n + c.parsed, 0);
  console.log(
    [
      `packetdrill corpus: ${parsed}/${total} scripts parse (${((100 * parsed) / total).toFixed(1)}%), ${Object.keys(exceptions).length} documented exception(s), ${branches} #ifdef branch parses`,
      ...SUITES.map((s) => {
        const c = counts.get(s)!;
        return `  ${s.padEnd(8)} ${c.parsed}/${c.total} parse, ${c.excepted} excepted`;
      }),
    ].join('\n'),
  );
  assert.deepEqual(unexpected, []);
  for (const s of SUITES) assert.ok(counts.get(s)!.total > 0, `suite ${s} is present`);
  assert.ok(Object.keys(exceptions).length <= 5, 'the exception list stays short');
});

test('packetdrill corpus: features of every script; environment scripts are all found', () => {
  const verdicts = new Map<Suite, Record<'runnable' | 'skips' | 'unsupported', number>>(SUITES.map((s) => [s, { runnable: 0, skips: 0, unsupported: 0 }]));
  const unread: string[] = [];
  const reasons = new Map<string, number>();
  for (const f of corpusFiles()) {
    if (exceptions[f.rel] !== undefined) continue;
    const r = parseScript(readFileSync(f.path, 'utf8'), { file: f.rel, defines: { ...CORPUS_DEFINES, STANDARD: '1' } });
    assert.ok(r.ok, f.rel);
    const feats = extractFeatures(r.script, { readShellFile: shellFileReader(f.path) });
    verdicts.get(f.suite)![feats.verdict]++;
    for (const u of feats.unsupported) {
      if (u.reason.startsWith('environment script')) unread.push(`${f.rel}: ${u.reason}`);
      if (u.fatal) {
        const key = u.reason.replace(/`.*`/, '`...`');
        reasons.set(key, (reasons.get(key) ?? 0) + 1);
      }
    }
    // Scripts that run the suite's defaults.sh get its settings.
    if (r.script.initCommand?.text.includes('defaults.sh') === true) {
      assert.equal(feats.settings.synRetries, 5, `${f.rel}: defaults.sh sets tcp_syn_retries`);
      assert.deepEqual(feats.settings.rmem, [4096, 540000, 15728640], `${f.rel}: defaults.sh sets tcp_rmem`);
    }
  }
  const top = [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(
    [
      'packetdrill corpus features (with -D STANDARD):',
      ...SUITES.map((s) => {
        const v = verdicts.get(s)!;
        return `  ${s.padEnd(8)} ${v.runnable} runnable, ${v.skips} runnable with skips, ${v.unsupported} unsupported`;
      }),
      '  most common fatal gaps: ' + top.map(([k, n]) => `${k} (${n})`).join('; '),
    ].join('\n'),
  );
  assert.deepEqual(unread, []);
});
