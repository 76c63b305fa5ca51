// The packetdrill lexer: token boundaries on the traps the language sets
// (S. is a word and a dot, 1:1(0) is not IPv6, +.1...0.2), comments,
// quoted and back-quoted text, code blocks, options, defines, #ifdef.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenize, isIpv6Text, type Token } from '../../src/drill/lexer.js';

function kinds(src: string, defines?: Record<string, string>): string[] {
  const opts = defines === undefined ? {} : { defines: new Map(Object.entries(defines)) };
  return tokenize(src, opts)
    .filter((t) => t.kind !== 'eof')
    .map((t) => `${t.kind}:${t.text}`);
}

function only(src: string): Token {
  const toks = tokenize(src);
  if (toks.length === 1 && toks[0]!.kind === 'error') return toks[0]!;
  assert.equal(toks.length, 2, `expected one token in ${JSON.stringify(src)}, got ${toks.map((t) => t.kind).join(',')}`);
  return toks[0]!;
}

test('flags: S. is a word followed by a dot; . alone is punctuation', () => {
  assert.deepEqual(kinds('> S. 0:0(0)'), ['punct:>', 'word:S', 'punct:.', 'int:0', 'punct::', 'int:0', 'punct:(', 'int:0', 'punct:)']);
  assert.deepEqual(kinds('< . 1:1(0)'), ['punct:<', 'punct:.', 'int:1', 'punct::', 'int:1', 'punct:(', 'int:0', 'punct:)']);
  assert.deepEqual(kinds('FP.'), ['word:FP', 'punct:.']);
});

test('sequence ranges and SACK blocks do not lex as IPv6 addresses', () => {
  assert.deepEqual(kinds('1:1001(1000)'), ['int:1', 'punct::', 'int:1001', 'punct:(', 'int:1000', 'punct:)']);
  assert.deepEqual(kinds('sack 4381:5841 1:2'), ['word:sack', 'int:4381', 'punct::', 'int:5841', 'int:1', 'punct::', 'int:2']);
});

test('IPv4 and IPv6 literals win over numbers and words by length', () => {
  assert.deepEqual(kinds('192.0.2.1'), ['ipv4:192.0.2.1']);
  assert.deepEqual(kinds('2001:DB8::1'), ['ipv6:2001:DB8::1']);
  assert.deepEqual(kinds('fd3d:fa7b:d17d::1 > ::ffff:192.0.2.1'), ['ipv6:fd3d:fa7b:d17d::1', 'punct:>', 'ipv6:::ffff:192.0.2.1']);
  assert.deepEqual(kinds('1:2:3:4:5:6:7:8'), ['ipv6:1:2:3:4:5:6:7:8']);
  assert.equal(only('300.1.1.1').kind, 'error');
});

test('isIpv6Text accepts RFC 4291 text forms only', () => {
  for (const ok of ['::', '::1', '1::', '2001:db8::1', '1:2:3:4:5:6:7:8', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4']) assert.ok(isIpv6Text(ok), ok);
  for (const bad of ['1:1', '1:2:3', '1::2::3', '12345::1', '1:2:3:4:5:6:7:8:9', ':1', 'g::1', '1:2:3:4:5:6:7:1.2.3.4']) assert.ok(!isIpv6Text(bad), bad);
});

test('numbers: integers, negative integers, floats, hex', () => {
  assert.deepEqual(kinds('0 -1 0.100 .5 -0.25 0x2 0xFFff'), ['int:0', 'int:-1', 'float:0.100', 'float:.5', 'float:-0.25', 'hex:0x2', 'hex:0xFFff']);
  // A word may start with digits: longest match.
  assert.deepEqual(kinds('0123abcd'), ['word:0123abcd']);
  assert.deepEqual(kinds('1.'), ['int:1', 'punct:.']);
});

test('blocking time: +.1...0.200 is plus, float, ellipsis, float', () => {
  assert.deepEqual(kinds('+.1...0.200'), ['punct:+', 'float:.1', 'ellipsis:...', 'float:0.200']);
  assert.deepEqual(kinds('+0...0'), ['punct:+', 'int:0', 'ellipsis:...', 'int:0']);
});

test('comments are skipped; // may end the file without a newline', () => {
  assert.deepEqual(kinds('a // x y\nb /* multi\nline */ c // end'), ['word:a', 'word:b', 'word:c']);
  assert.equal(only('/* open').kind, 'error');
});

test('strings and back-quoted commands keep their inner text and may span lines', () => {
  const s = only('"a \\" b"');
  assert.equal(s.kind, 'string');
  assert.equal(s.text, 'a \\" b');
  const b = only('`sysctl -q x=1\n tc qdisc`');
  assert.equal(b.kind, 'backquote');
  assert.equal(b.text, 'sysctl -q x=1\n tc qdisc');
  assert.equal(only('`open').text, 'unterminated back-quoted command');
  assert.equal(only('"open').text, 'unterminated string');
});

test('code blocks trim blanks at both ends and may contain braces', () => {
  const c = only('%{ \tassert x == {1: 2}[1] \t}%');
  assert.equal(c.kind, 'code');
  assert.equal(c.text, 'assert x == {1: 2}[1]');
  assert.equal(only('%{ x').kind, 'error');
});

test('options carry their name and raw value', () => {
  const toks = tokenize('--tolerance_usecs=10000 --strict_segments\n--ip_version=ipv4-mapped-ipv6 --define=X="a b" // c');
  const opts = toks.filter((t) => t.kind === 'option').map((t) => [t.text, t.value]);
  assert.deepEqual(opts, [
    ['tolerance_usecs', '10000'],
    ['strict_segments', undefined],
    ['ip_version', 'ipv4-mapped-ipv6'],
    ['define', 'X="a b"'],
  ]);
});

test('defines replace words (not reserved words) and retype the token', () => {
  const d = { TFO_COOKIE: '3021b9d889017eeb', N: '42', H: '0x10', S: '"str"', C: '`cmd`', ack: '7' };
  assert.deepEqual(kinds('TFO_COOKIE N H S C ack', d), ['word:3021b9d889017eeb', 'int:42', 'hex:0x10', 'string:str', 'backquote:cmd', 'word:ack']);
});

test('positions are 1-based line and column', () => {
  const toks = tokenize('0 socket()\n  +0 close(3) = 0');
  const plus = toks.find((t) => t.text === '+')!;
  assert.deepEqual([plus.line, plus.column, plus.offset], [2, 3, 13]);
});

test('#ifdef keeps a branch only when the name is defined; #else and nesting', () => {
  const src = 'a\n#ifdef STANDARD\nb\n#ifdef X\nc\n#endif\n#else\nd\n#endif\ne';
  assert.deepEqual(kinds(src), ['word:a', 'word:d', 'word:e']);
  assert.deepEqual(kinds(src, { STANDARD: '1' }), ['word:a', 'word:b', 'word:e']);
  assert.deepEqual(kinds(src, { STANDARD: '1', X: '1' }), ['word:a', 'word:b', 'word:c', 'word:e']);
  assert.deepEqual(kinds('#ifndef Q\nz\n#endif'), ['word:z']);
});

test('preprocessor errors are typed and located', () => {
  const un = tokenize('x\n#ifdef A\ny').at(-1)!;
  assert.equal(un.kind, 'error');
  assert.equal(un.stage, 'preprocess');
  assert.match(un.text, /unterminated #ifdef A \(opened at line 2\)/);
  const stray = tokenize('x\n #endif').at(-1)!;
  assert.deepEqual([stray.kind, stray.text, stray.line, stray.column], ['error', '#endif without #ifdef', 2, 2]);
  const inc = tokenize('#include "x.pkt"').at(-1)!;
  assert.equal(inc.text, 'unsupported preprocessor directive #include');
});

test('a lone # is an ordinary character token', () => {
  assert.deepEqual(kinds('# x'), ['punct:#', 'word:x']);
});

test('control characters are rejected with their code', () => {
  const t = only('\u0001');
  assert.equal(t.kind, 'error');
  assert.equal(t.text, 'unexpected control character 0x01');
});
