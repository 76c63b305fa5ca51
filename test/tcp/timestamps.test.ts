// TS.Recent (RFC 7323 §4.3) moves only with a segment that is accepted,
// its ACK included: a segment dropped for acknowledging data never sent
// (RFC 9293 §3.10.7.4, RFC 5961 §5.2) must not raise it, or PAWS (§5.3)
// would then throw away the peer's valid segments.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS } from './harness.js';
import { profile } from '../../src/tcp/config.js';
import { ACK, FIN, type Segment } from '../../src/wire/tcp-types.js';

test('a FIN whose ACK is beyond SND.NXT does not set TS.Recent: the next valid segment passes PAWS', () => {
  const cfg = profile('linux');
  const net = new Net();
  net.b.listen = { config: cfg, mss: 1460, iss: 5000, tsOffset: 0 };
  net.connect(cfg, { tsOffset: 0 });
  net.runFor(100 * MS);
  const b = net.b.conn!;
  assert.equal(b.state, 'ESTABLISHED');
  const base = { srcPort: 40000, dstPort: 80, window: 65535, urgent: 0 };
  const now = Math.floor(net.now / 1000);
  const bad: Segment = { ...base, seq: 1001, ack: 9999, flags: FIN | ACK, options: [{ kind: 'timestamp', val: 0x7f000000, ecr: now }], payload: new Uint8Array(0) };
  net.inject('A', bad);
  net.runFor(10 * MS);
  const good: Segment = { ...base, seq: 1001, ack: 5001, flags: ACK, options: [{ kind: 'timestamp', val: now + 5, ecr: now }], payload: new Uint8Array(1000).fill(3) };
  net.inject('A', good);
  net.runFor(100 * MS);
  assert.equal(b.stats.pawsDrops, 0);
  assert.equal(net.b.receivedBytes().length, 1000);
  assert.equal(b.state, 'ESTABLISHED', 'the bad FIN was dropped');
});
