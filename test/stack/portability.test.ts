// The stack runs wherever JavaScript runs: nothing it loads imports a
// Node-only module, and only real-clock.ts touches host timers or time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/paths.js';

/** Every source file reachable by imports from `entry`, with its text. */
function importGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    const src = readFileSync(file, 'utf8');
    seen.set(file, src);
    for (const m of src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)) {
      const spec = m[1]!;
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else seen.set(`${file} -> ${spec}`, '');
    }
  }
  return seen;
}

test('src/stack loads no Node-only module, directly or through what it imports', () => {
  const graph = importGraph(resolve(REPO_ROOT, 'src/stack/index.ts'));
  const external = [...graph.keys()].filter((k) => k.includes(' -> ')).map((k) => relative(REPO_ROOT, k));
  assert.deepEqual(external, []);
  // It does reach the TCP core and the wire layer.
  const files = [...graph.keys()].map((k) => relative(REPO_ROOT, k));
  assert.ok(files.includes('src/tcp/connection.ts'));
  assert.ok(files.includes('src/wire/tcp.ts'));
});

test('only src/stack/real-clock.ts reads host time or sets host timers', () => {
  const graph = importGraph(resolve(REPO_ROOT, 'src/stack/index.ts'));
  const offenders: string[] = [];
  for (const [file, src] of graph) {
    if (file.includes(' -> ') || file.endsWith('real-clock.ts')) continue;
    const code = src.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    if (/\b(setTimeout|setInterval|setImmediate|Date\.now|new Date\(|performance\.now|process\.)/.test(code)) offenders.push(relative(REPO_ROOT, file));
  }
  assert.deepEqual(offenders, []);
});
