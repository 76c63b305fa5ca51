// Every script of the shared packetdrill corpus (google, linux, freebsd)
// parses, or fails with exactly the error and reason recorded in
// parse-exceptions.json. Scripts with #ifdef blocks are also parsed with each
// branch selected.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScript } from '../../src/drill/parser.js';
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
