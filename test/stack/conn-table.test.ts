// ConnTable and KeyedSet behave as the Map and Set they replace: a model
// Map/Set fed the same random operations agrees on every answer, order of
// iteration included, and a deleted value is no longer held by the table.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConnTable, KeyedSet } from '../../src/stack/conn-table.js';

type Op = { kind: 'set' | 'delete' | 'get' | 'has'; key: number; value: number } | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ kind: fc.constantFrom('set' as const, 'delete' as const, 'get' as const, 'has' as const), key: fc.nat(40), value: fc.integer() }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

test('property: ConnTable answers as a Map does, insertion order included', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const t = new ConnTable<{ v: number }>();
      const m = new Map<string, { v: number }>();
      for (const o of ops) {
        if (o.kind === 'clear') {
          t.clear();
          m.clear();
          continue;
        }
        const k = `k${o.key}`;
        if (o.kind === 'set') {
          const v = { v: o.value };
          t.set(k, v);
          m.set(k, v);
        } else if (o.kind === 'delete') assert.equal(t.delete(k), m.delete(k));
        else if (o.kind === 'get') assert.equal(t.get(k), m.get(k));
        else assert.equal(t.has(k), m.has(k));
        assert.equal(t.size, m.size);
      }
      assert.deepEqual([...t.values()], [...m.values()]);
    }),
    { numRuns: 300 },
  );
});

test('a deleted value leaves its slot empty, and the slot is reused', () => {
  const t = new ConnTable<object>();
  const a = {};
  const b = {};
  t.set('a', a);
  t.set('b', b);
  t.delete('a');
  // The value is no longer reachable through the table's storage.
  const slots = (t as unknown as { slots: Array<object | undefined> }).slots;
  assert.ok(!slots.includes(a), 'the deleted value is not held');
  const c = {};
  t.set('c', c);
  assert.equal(slots.length, 2, 'the freed slot was reused');
  assert.deepEqual([...t.values()], [b, c]);
});

test('property: KeyedSet answers as a Set does for items with distinct keys', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const items = Array.from({ length: 41 }, (_, i) => ({ key: `ep${i}` }));
      const s = new KeyedSet<{ key: string }>();
      const m = new Set<{ key: string }>();
      for (const o of ops) {
        if (o.kind === 'clear') {
          s.clear();
          m.clear();
          continue;
        }
        const it = items[o.key]!;
        if (o.kind === 'set') {
          assert.equal(s.add(it), s);
          m.add(it);
        } else if (o.kind === 'delete') assert.equal(s.delete(it), m.delete(it));
        else assert.equal(s.has(it), m.has(it));
        assert.equal(s.size, m.size);
      }
      assert.deepEqual([...s], [...m]);
    }),
    { numRuns: 300 },
  );
});

test('KeyedSet tells an item from another with the same key', () => {
  const s = new KeyedSet<{ key: string }>();
  const a = { key: 'x' };
  const impostor = { key: 'x' };
  s.add(a);
  assert.equal(s.has(impostor), false);
  assert.equal(s.delete(impostor), false);
  assert.equal(s.has(a), true);
  assert.equal(s.size, 1);
});
