import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerHeap, type HeapEntry } from '../../src/stack/timer-heap.js';

class E implements HeapEntry {
  deadline = Infinity;
  heapIndex = -1;
  constructor(readonly id: number) {}
}

test('entries come out in deadline order; moving and removing keep the order', () => {
  const h = new TimerHeap<E>();
  const es = [0, 1, 2, 3, 4].map((i) => new E(i));
  h.schedule(es[0]!, 50);
  h.schedule(es[1]!, 10);
  h.schedule(es[2]!, 30);
  h.schedule(es[3]!, 20);
  h.schedule(es[4]!, 40);
  assert.equal(h.earliest, 10);
  h.schedule(es[1]!, 60); // later
  h.schedule(es[0]!, 5); // earlier
  h.remove(es[2]!);
  h.schedule(es[4]!, Infinity); // Infinity removes
  assert.equal(h.size, 3);
  assert.equal(h.has(es[2]!), false);
  const order: number[] = [];
  for (let e = h.popDue(100); e !== undefined; e = h.popDue(100)) order.push(e.id);
  assert.deepEqual(order, [0, 3, 1]);
  assert.equal(h.earliest, Infinity);
});

test('popDue takes only what is due', () => {
  const h = new TimerHeap<E>();
  const a = new E(1);
  const b = new E(2);
  h.schedule(a, 100);
  h.schedule(b, 200);
  assert.equal(h.popDue(99), undefined);
  assert.equal(h.popDue(100), a);
  assert.equal(h.popDue(150), undefined);
  assert.equal(h.peek(), b);
  assert.equal(a.heapIndex, -1);
});

test('property: any sequence of schedule/remove pops in sorted order with the last deadline of each entry', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 19 }), fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1))), { maxLength: 200 }),
      (ops) => {
        const h = new TimerHeap<E>();
        const es = Array.from({ length: 20 }, (_, i) => new E(i));
        const model = new Map<number, number>();
        for (const [i, t] of ops) {
          if (t < 0) {
            h.remove(es[i]!);
            model.delete(i);
          } else {
            h.schedule(es[i]!, t);
            model.set(i, t);
          }
        }
        assert.equal(h.size, model.size);
        const out: number[] = [];
        for (let e = h.popDue(Infinity); e !== undefined; e = h.popDue(Infinity)) {
          assert.equal(e.deadline, model.get(e.id));
          out.push(e.deadline);
        }
        assert.deepEqual(out, [...model.values()].sort((x, y) => x - y));
      },
    ),
  );
});
