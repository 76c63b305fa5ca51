// A listener's SYN queue, a list through the endpoints, behaves as the Set
// of endpoints it replaces: a model Set fed the same random operations
// agrees on every answer and on the order of iteration.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SynQueue, type TcpEndpoint } from '../../src/stack/tcp-endpoint.js';

type Op = { kind: 'add' | 'delete' | 'has' | 'other' | 'clear'; item: number };

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('add' as const, 'add' as const, 'delete' as const, 'has' as const, 'other' as const, 'clear' as const),
  item: fc.nat(20),
});

// The queue reads and writes only its own fields of an endpoint.
const fakeEndpoint = (): TcpEndpoint => ({ synQueue: null, synPrev: null, synNext: null }) as unknown as TcpEndpoint;

test('property: a SynQueue answers as a Set does, in the order items were added', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const items = Array.from({ length: 21 }, fakeEndpoint);
      const q = new SynQueue();
      const other = new SynQueue();
      const m = new Set<TcpEndpoint>();
      const mOther = new Set<TcpEndpoint>();
      for (const o of ops) {
        const it = items[o.item]!;
        if (o.kind === 'add') {
          assert.equal(q.add(it), q);
          mOther.delete(it);
          m.add(it);
        } else if (o.kind === 'other') {
          // Joining another queue leaves this one.
          other.add(it);
          m.delete(it);
          mOther.add(it);
        } else if (o.kind === 'delete') assert.equal(q.delete(it), m.delete(it));
        else if (o.kind === 'clear') {
          q.clear();
          m.clear();
        } else assert.equal(q.has(it), m.has(it));
        assert.equal(q.size, m.size);
        assert.equal(other.size, mOther.size);
      }
      assert.deepEqual([...q], [...m]);
      assert.deepEqual([...other], [...mOther]);
    }),
    { numRuns: 300 },
  );
});
