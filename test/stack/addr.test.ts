import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addrKey,
  endpointKey,
  formatAddress,
  inPrefix,
  isLoopback,
  isMulticastOrBroadcast,
  isV4Mapped,
  mapV4,
  parseAddress,
  tupleKey,
  unmapV4,
} from '../../src/stack/addr.js';
import { parseCidr, maskAddress, RoutingTable } from '../../src/stack/routes.js';

test('addresses parse and print in both families', () => {
  assert.deepEqual(parseAddress('10.1.2.3'), Uint8Array.of(10, 1, 2, 3));
  assert.equal(formatAddress(parseAddress('2001:DB8:0:0:0:0:0:1')!), '2001:db8::1');
  assert.equal(parseAddress('10.1.2'), undefined);
  assert.equal(parseAddress('fe80::1%eth0'), undefined);
  assert.equal(parseAddress('hello'), undefined);
});

test('IPv4-mapped addresses map and unmap', () => {
  const v4 = Uint8Array.of(192, 0, 2, 7);
  const m = mapV4(v4);
  assert.equal(formatAddress(m), '::ffff:192.0.2.7');
  assert.ok(isV4Mapped(m));
  assert.ok(!isV4Mapped(parseAddress('::1')!));
  assert.deepEqual(unmapV4(m), v4);
});

test('address classes', () => {
  assert.ok(isLoopback(parseAddress('127.3.2.1')!));
  assert.ok(isLoopback(parseAddress('::1')!));
  assert.ok(!isLoopback(parseAddress('::2')!));
  assert.ok(isMulticastOrBroadcast(parseAddress('224.0.0.1')!));
  assert.ok(isMulticastOrBroadcast(parseAddress('255.255.255.255')!));
  assert.ok(isMulticastOrBroadcast(parseAddress('ff02::1')!));
  assert.ok(!isMulticastOrBroadcast(parseAddress('10.0.0.255')!));
});

test('prefix membership counts bits, not bytes', () => {
  const p = parseAddress('10.0.0.0')!;
  assert.ok(inPrefix(parseAddress('10.0.0.200')!, p, 24));
  assert.ok(!inPrefix(parseAddress('10.0.1.1')!, p, 24));
  assert.ok(inPrefix(parseAddress('10.0.0.127')!, p, 25));
  assert.ok(!inPrefix(parseAddress('10.0.0.128')!, p, 25));
  assert.ok(inPrefix(parseAddress('1.2.3.4')!, p, 0));
  assert.ok(!inPrefix(parseAddress('::1')!, p, 0), 'families never match');
});

test('keys are compact and distinguish every field', () => {
  const a = parseAddress('10.0.0.1')!;
  const b = parseAddress('10.0.0.2')!;
  assert.equal(addrKey(a).length, 2);
  assert.equal(addrKey(parseAddress('::1')!).length, 8);
  assert.equal(tupleKey(a, 1, b, 2).length, 6);
  const keys = new Set([tupleKey(a, 1, b, 2), tupleKey(b, 1, a, 2), tupleKey(a, 2, b, 1), tupleKey(a, 1, b, 3), endpointKey(a, 1)]);
  assert.equal(keys.size, 5);
});

test('CIDR text parses, and the routing table picks the longest prefix, then the lowest metric', () => {
  assert.deepEqual(parseCidr('10.1.2.3/8'), { addr: Uint8Array.of(10, 1, 2, 3), prefixLength: 8 });
  assert.equal(parseCidr('10.1.2.3/33'), undefined);
  assert.equal(parseCidr('10.1.2.3/08'), undefined);
  assert.equal(parseCidr('fd00::/129'), undefined);
  assert.equal(parseCidr('fd00::1')?.prefixLength, 128);
  assert.deepEqual(maskAddress(Uint8Array.of(10, 1, 255, 3), 12), Uint8Array.of(10, 0, 0, 0));

  const t = new RoutingTable<string>();
  t.add(parseAddress('0.0.0.0')!, 0, 'default');
  t.add(parseAddress('10.0.0.0')!, 8, 'ten-b', 5);
  t.add(parseAddress('10.0.0.0')!, 8, 'ten-a', 1);
  t.add(parseAddress('10.9.0.0')!, 16, 'ten-nine');
  t.add(parseAddress('fd00::')!, 64, 'v6');
  assert.equal(t.lookup(parseAddress('10.9.1.1')!)?.iface, 'ten-nine');
  assert.equal(t.lookup(parseAddress('10.8.1.1')!)?.iface, 'ten-a');
  assert.equal(t.lookup(parseAddress('192.0.2.1')!)?.iface, 'default');
  assert.equal(t.lookup(parseAddress('fd00::5')!)?.iface, 'v6');
  assert.equal(t.lookup(parseAddress('2001:db8::1')!), undefined);
  assert.equal(t.removeWhere((r) => r.iface === 'ten-a'), 1);
  assert.equal(t.lookup(parseAddress('10.8.1.1')!)?.iface, 'ten-b');
});
