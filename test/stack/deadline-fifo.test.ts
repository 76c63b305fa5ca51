import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DeadlineFifo, type FifoEntry } from '../../src/stack/deadline-fifo.js';

class E implements FifoEntry {
  queued = -1;
  constructor(readonly id: number) {}
}

test('a DeadlineFifo gives its items back in deadline order, skipping the ones queued again later or taken out', () => {
  const q = new DeadlineFifo<E>();
  const es = [0, 1, 2, 3].map((i) => new E(i));
  q.push(es[0]!, 10);
  q.push(es[1]!, 20);
  q.push(es[2]!, 20);
  q.push(es[0]!, 30); // queued again, later: its entry at 10 is stale
  es[1]!.queued = -1; // taken out (moved to the heap, or closed)
  q.push(es[3]!, 40);
  q.push(es[3]!, 40); // already queued for it: no second entry
  assert.equal(q.length, 5);
  assert.equal(q.accepts(39), false);
  assert.throws(() => q.push(new E(9), 39), RangeError);
  assert.equal(q.earliest, 20);
  assert.equal(q.popDue(19), undefined);
  assert.equal(q.popDue(100)?.id, 2);
  assert.equal(q.popDue(100)?.id, 0);
  assert.equal(q.popDue(100)?.id, 3);
  assert.equal(q.popDue(100), undefined);
  assert.equal(q.earliest, Infinity);
  assert.equal(q.length, 0);
  for (const e of es) assert.equal(e.queued, -1, 'an item given back is no longer queued');
});

test('a DeadlineFifo against a model: earliest, what is due and in which order, over long runs that move its entries to the front (property)', () => {
  const op = fc.oneof(
    // Queue a new item, or one already known, for a deadline this far past the last one.
    { weight: 5, arbitrary: fc.record({ push: fc.nat({ max: 30 }), pick: fc.nat() }) },
    // Take an item out (the stack moved it to the heap, or it closed).
    { weight: 1, arbitrary: fc.record({ drop: fc.nat() }) },
    // Time moves on this far; everything due comes out.
    { weight: 2, arbitrary: fc.record({ advance: fc.nat({ max: 80 }) }) },
  );
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 3000 }), (ops) => {
      const q = new DeadlineFifo<E>();
      const items: E[] = [];
      // The model: each queued item's deadline, and the order it was (last) queued in.
      const queued = new Map<E, { at: number; order: number }>();
      let last = 0;
      let order = 0;
      let now = 0;
      for (const o of ops) {
        if ('push' in o) {
          const at = last + o.push;
          let item: E;
          if (items.length > 0 && o.pick % 3 === 0) item = items[o.pick % items.length]!;
          else items.push((item = new E(items.length)));
          assert.equal(q.accepts(at), true);
          q.push(item, at);
          // Queued already for this very deadline: it keeps its place.
          const was = queued.get(item);
          if (was === undefined || was.at !== at) queued.set(item, { at, order: order++ });
          last = at;
        } else if ('drop' in o) {
          const live = [...queued.keys()];
          if (live.length === 0) continue;
          const item = live[o.drop % live.length]!;
          item.queued = -1;
          queued.delete(item);
        } else {
          now += o.advance;
          const expect = [...queued.entries()].filter(([, v]) => v.at <= now).sort((x, y) => x[1].at - y[1].at || x[1].order - y[1].order);
          for (const [item] of expect) {
            assert.equal(q.popDue(now), item);
            assert.equal(item.queued, -1);
            queued.delete(item);
          }
          assert.equal(q.popDue(now), undefined);
        }
        const min = Math.min(...[...queued.values()].map((v) => v.at));
        assert.equal(q.earliest, min);
        assert.ok(q.length >= queued.size);
      }
      return true;
    }),
    { numRuns: 60 },
  );
});

test('a DeadlineFifo keeps its items straight when it moves its entries to the front', () => {
  const q = new DeadlineFifo<E>();
  const es = Array.from({ length: 3000 }, (_, i) => new E(i));
  for (const e of es) q.push(e, e.id);
  // Past the first 2000: the live entries are moved to the front on the way.
  for (let i = 0; i < 2000; i++) assert.equal(q.popDue(1999), es[i]);
  assert.equal(q.popDue(1999), undefined);
  assert.equal(q.length, 1000);
  // Still queued for their deadlines (no second entry), taken out, queued again later.
  for (let i = 2000; i < 3000; i++) q.push(es[i]!, i);
  assert.equal(q.length, 1000);
  es[2500]!.queued = -1;
  q.push(es[2100]!, 5000);
  const order: number[] = [];
  for (let e = q.popDue(10_000); e !== undefined; e = q.popDue(10_000)) order.push(e.id);
  const expect = [];
  for (let i = 2000; i < 3000; i++) if (i !== 2500 && i !== 2100) expect.push(i);
  expect.push(2100);
  assert.deepEqual(order, expect);
});
