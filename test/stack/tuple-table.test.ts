// TupleTable answers as a Map keyed by the tuple's string form would: a
// model Map fed the same random operations agrees on every lookup, on the
// size and on the order of iteration, through growth and through deletions
// that move entries back along their probe runs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TupleTable } from '../../src/stack/tuple-table.js';
import { tupleKey } from '../../src/stack/addr.js';
import type { FourTuple } from '../../src/tcp/types.js';

interface Item {
  tuple: FourTuple;
  id: number;
}

const V4 = [new Uint8Array([10, 0, 0, 1]), new Uint8Array([10, 0, 0, 2]), new Uint8Array([192, 168, 255, 255]), new Uint8Array([0, 0, 0, 0])];
const V6 = [new Uint8Array(16).fill(0xfd, 0, 1), new Uint8Array(16).fill(0xff)];

const tupleArb: fc.Arbitrary<FourTuple> = fc
  .record({ v6: fc.boolean(), l: fc.nat(3), r: fc.nat(3), lp: fc.constantFrom(0, 1, 80, 65535), rp: fc.nat(40) })
  .map(({ v6, l, r, lp, rp }) => {
    const pool = v6 ? V6 : V4;
    return { localAddr: pool[l % pool.length]!, localPort: lp, remoteAddr: pool[r % pool.length]!, remotePort: rp };
  });

type Op = { kind: 'set' | 'delete' | 'deleteOther' | 'get'; tuple: FourTuple };
const opArb: fc.Arbitrary<Op> = fc.record({
  // Sets outnumber deletes, so the table fills and grows.
  kind: fc.constantFrom('set' as const, 'set' as const, 'delete' as const, 'deleteOther' as const, 'get' as const),
  tuple: tupleArb,
});

const keyOf = (t: FourTuple): string => tupleKey(t.localAddr, t.localPort, t.remoteAddr, t.remotePort);
// Copies of the address bytes: the table must compare contents, not identity.
const copy = (t: FourTuple): FourTuple => ({ ...t, localAddr: t.localAddr.slice(), remoteAddr: t.remoteAddr.slice() });

test('property: TupleTable answers as a Map keyed by the tuple does, insertion order included', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 600 }), (ops) => {
      const t = new TupleTable<Item>();
      const m = new Map<string, Item>();
      let id = 0;
      for (const o of ops) {
        const k = keyOf(o.tuple);
        if (o.kind === 'set') {
          const it = { tuple: copy(o.tuple), id: id++ };
          t.set(it);
          // A replaced item goes to the end of the order, as in a Map after delete + set.
          m.delete(k);
          m.set(k, it);
        } else if (o.kind === 'delete') {
          const it = m.get(k);
          if (it !== undefined) {
            assert.equal(t.delete(it), true);
            m.delete(k);
          }
        } else if (o.kind === 'deleteOther') {
          // An item with the same tuple that is not the one stored is not removed.
          assert.equal(t.delete({ tuple: copy(o.tuple), id: -1 }), false);
        }
        const q = copy(o.tuple);
        assert.equal(t.get(q.localAddr, q.localPort, q.remoteAddr, q.remotePort), m.get(k));
        assert.equal(t.size, m.size);
      }
      assert.deepEqual([...t.values()], [...m.values()]);
      for (const [, it] of m) assert.equal(t.get(it.tuple.localAddr, it.tuple.localPort, it.tuple.remoteAddr, it.tuple.remotePort), it);
    }),
    { numRuns: 300 },
  );
});

test('thousands of IPv4 connections are found after deletions in random order, and a deleted one is not held', () => {
  const t = new TupleTable<Item>();
  const items: Item[] = [];
  for (let i = 0; i < 5000; i++) {
    const it = { tuple: { localAddr: V4[0]!, localPort: 80, remoteAddr: new Uint8Array([10, 1, i >> 8, i & 255]), remotePort: 1024 + (i % 7) }, id: i };
    items.push(it);
    t.set(it);
  }
  assert.equal(t.size, 5000);
  // Delete every other one, in a scrambled order.
  const gone = new Set<number>();
  for (let k = 0; k < 5000; k++) {
    const i = (k * 2654435761) % 5000;
    if (i % 2 === 0 && !gone.has(i)) {
      assert.equal(t.delete(items[i]!), true);
      gone.add(i);
    }
  }
  for (const it of items) {
    const found = t.get(it.tuple.localAddr, it.tuple.localPort, it.tuple.remoteAddr, it.tuple.remotePort);
    assert.equal(found, gone.has(it.id) ? undefined : it);
  }
  assert.equal(t.size, 5000 - gone.size);
  const slots = (t as unknown as { slots: Array<Item | undefined> }).slots;
  for (const i of gone) assert.ok(!slots.includes(items[i]!), 'a deleted item is not held');
});
