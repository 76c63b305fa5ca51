import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Net, MS, S, pattern } from './harness.js';
import { profile } from '../../src/tcp/config.js';

const linux = profile('linux');

test('a hard ICMP error aborts a connection attempt with its code; in ESTABLISHED it is only remembered', () => {
  const net = new Net();
  net.fate = () => true;
  const a = net.connect(linux, { iss: 1000 });
  net.run(500 * MS);
  a.onIcmp({ kind: 'hard', code: 'EHOSTUNREACH' }, net.now);
  assert.equal(a.state, 'CLOSED');
  assert.deepEqual(net.a.eventTypes(), ['CLOSED>SYN_SENT']);
  net.flush();
  assert.deepEqual(net.a.eventTypes(), ['CLOSED>SYN_SENT', 'error:EHOSTUNREACH', 'SYN_SENT>CLOSED', 'closed']);

  const net2 = new Net();
  net2.b.listen = { config: linux, mss: 1460, iss: 5000 };
  const c = net2.connect(linux, { iss: 1000 });
  net2.run(1 * S);
  c.onIcmp({ kind: 'hard', code: 'ECONNREFUSED' }, net2.now);
  assert.equal(c.state, 'ESTABLISHED');
});

test('ICMP "fragmentation needed": smaller segments from then on, and what no longer fits is sent again', () => {
  const net = new Net();
  net.b.listen = { config: linux, mss: 1460, iss: 5000, tsOffset: 0 };
  const a = net.connect(linux, { iss: 1000, tsOffset: 0 });
  net.run(1 * S);
  // The first flight is lost at a narrow link that reports MTU 1000.
  net.fate = (s) => s.from === 'A' && s.seg.payload.length > 1000 - 40 - 12;
  a.send(pattern(5000), net.now);
  net.run(net.now + 1 * MS);
  assert.equal(a.negotiated.mss, 1448);
  a.onIcmp({ kind: 'mtu', mtu: 1000 }, net.now);
  // 1000 − 20 (IPv4) − 20 (TCP) − 12 (timestamps).
  assert.equal(a.negotiated.mss, 948);
  net.flush();
  net.run(net.now + 10 * S);
  assert.deepEqual(net.b.receivedBytes(), pattern(5000));
  const after = net.sent('A').filter((s) => s.t > 1 * S + 1 * MS && s.seg.payload.length > 0);
  assert.ok(after.length > 0 && after.every((s) => s.seg.payload.length <= 948));
  // Resent at once, not after an RTO.
  assert.equal(a.stats.timeouts, 0);
});
