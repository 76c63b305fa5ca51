// Properties: the lexer and parser never throw, whatever the text — random
// strings, random sequences of the language's own tokens, and random
// mutations (edits, truncations, splices) of real corpus scripts — and every
// error they report points inside the text.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parseScript } from '../../src/drill/parser.js';
import { tokenize } from '../../src/drill/lexer.js';
import type { ParseResult } from '../../src/drill/ast.js';
import { CORPUS_DEFINES, corpusFiles } from './corpus.js';

function checkResult(text: string, r: ParseResult): void {
  if (r.ok) return;
  const lines = text.split('\n').length;
  assert.notEqual(r.error.kind, 'internal', `internal error: ${r.error.message}`);
  assert.ok(r.error.line >= 1 && r.error.line <= lines, `line ${r.error.line} outside 1..${lines}`);
  assert.ok(r.error.column >= 1, `column ${r.error.column}`);
  assert.ok(r.error.message.length > 0);
}

function parseNeverThrows(text: string): void {
  let r: ParseResult | undefined;
  assert.doesNotThrow(() => {
    r = parseScript(text, { file: 'fuzz.pkt', defines: CORPUS_DEFINES });
  });
  checkResult(text, r!);
  assert.doesNotThrow(() => tokenize(text));
}

const FRAGMENTS = [
  '0', '+0', '+.1', '0.1', '*', '~', '...', '<', '>', 'S', 'S.', '.', 'F.', 'P.', 'R', '-', '1:1(0)', '0:0(0)',
  '1:1001(1000)', 'ack', '1', 'win', '257', 'urg', '<mss 1460,sackOK,nop,nop,nop,wscale 7>', '<...>', ',', 'nop',
  'TS', 'val', 'ecr', 'sack', '1:2', 'FO', 'abcd', 'md5', '[ect0]', '(tos 0x2)', 'udp', 'icmp', 'unreachable',
  'socket(..., SOCK_STREAM, IPPROTO_TCP)', '=', '3', '-1', 'EAGAIN', '(Resource temporarily unavailable)',
  'close(3)', '{', '}', '[', ']', '(', ')', '|', 'x=1', '"s"', '`cmd`', '%{ assert 1 }%', '--mtu=1500',
  '--tolerance_usecs', '#ifdef', '#endif', 'A', '\n', '// c\n', '/* c */', 'ipv4', '192.0.2.1', '2001:db8::1',
  ':', '!', '/udp(1 > 2)', 'encap', 'psp', 'spi', 'gre', 'mpls', 'htons(80)', 'inet_addr("1.2.3.4")',
];

test('random text never makes the lexer or parser throw', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => parseNeverThrows(s)),
    { numRuns: 2000 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => parseNeverThrows(s)),
    { numRuns: 1000 },
  );
});

test('random sequences of script tokens never make the parser throw', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 60 }), fc.constantFrom(' ', '', '\n'), (parts, sep) => {
      parseNeverThrows(parts.join(sep));
    }),
    { numRuns: 3000 },
  );
});

const SAMPLE = corpusFiles()
  .filter((_, i) => i % 37 === 0)
  .map((f) => readFileSync(f.path, 'utf8'));

type Mutation = { kind: 'replace' | 'insert'; at: number; text: string } | { kind: 'delete'; at: number; n: number } | { kind: 'truncate'; at: number };

function mutate(text: string, muts: Mutation[]): string {
  let t = text;
  for (const m of muts) {
    const at = t.length === 0 ? 0 : m.at % (t.length + 1);
    switch (m.kind) {
      case 'replace':
        t = t.slice(0, at) + m.text + t.slice(at + m.text.length);
        break;
      case 'insert':
        t = t.slice(0, at) + m.text + t.slice(at);
        break;
      case 'delete':
        t = t.slice(0, at) + t.slice(at + m.n);
        break;
      case 'truncate':
        t = t.slice(0, at);
        break;
    }
  }
  return t;
}

test('random mutations of real corpus scripts never make the parser throw', () => {
  assert.ok(SAMPLE.length >= 20);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...FRAGMENTS)) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom(...FRAGMENTS)) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 20 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  );
  fc.assert(
    fc.property(fc.nat({ max: SAMPLE.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), (i, muts) => {
      parseNeverThrows(mutate(SAMPLE[i]!, muts));
    }),
    { numRuns: 600 },
  );
});
