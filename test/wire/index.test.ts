// Whole packets through the public wire API: each layer's emitter writes into
// one buffer, each parser reads the next layer from the previous one's view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as wire from '../../src/wire/index.js';
import { hex, refChecksum } from './ref.js';

function value<T>(r: wire.Parsed<T>): T {
  if (!r.ok) assert.fail(`unexpected error: ${r.error.layer}: ${r.error.reason}`);
  return r.value;
}

test('an IPv4 TCP packet built layer by layer parses back layer by layer', () => {
  const src = value(wire.parseIpv4Address('198.51.100.7'));
  const dst = value(wire.parseIpv4Address('203.0.113.9'));
  const seg: wire.Segment = {
    srcPort: 40000,
    dstPort: 22,
    seq: 1000,
    ack: 2000,
    flags: wire.ACK | wire.PSH,
    window: 1024,
    urgent: 0,
    options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 5, ecr: 6 }],
    payload: new TextEncoder().encode('SSH-2.0-synack\r\n'),
  };
  const buf = new Uint8Array(1500);
  const tcpLen = wire.tcpHeaderLength(seg.options) + seg.payload.length;
  const ipLen = wire.emitIpv4({ ttl: 64, protocol: wire.IPPROTO_TCP, src, dst, flags: { DF: true } }, tcpLen, buf);
  const n = wire.emitTcp(seg, src, dst, buf, ipLen);
  assert.equal(n, tcpLen);
  const packet = buf.subarray(0, ipLen + n);
  // The IPv4 header and the TCP checksum both verify by the reference sum.
  assert.equal(refChecksum(packet.subarray(0, 20)), 0);

  const ip = value(wire.parseIpv4(packet));
  assert.equal(wire.formatIpv4(ip.src), '198.51.100.7');
  assert.equal(ip.protocol, wire.IPPROTO_TCP);
  const tcp = value(wire.parseTcp(ip.payload, { src: ip.src, dst: ip.dst }));
  assert.equal(tcp.dstPort, 22);
  assert.equal(tcp.flags, wire.ACK | wire.PSH);
  assert.deepEqual(tcp.options, seg.options);
  assert.equal(new TextDecoder().decode(tcp.payload), 'SSH-2.0-synack\r\n');
});

test('an IPv6 UDP packet behind a destination options header', () => {
  const src = value(wire.parseIpv6Address('2001:db8::10'));
  const dst = value(wire.parseIpv6Address('2001:db8::20'));
  const payload = hex('deadbeef');
  const buf = new Uint8Array(200);
  const dopts = hex('11 00 01 04 00000000'); // next header UDP, PadN
  const udpLen = 8 + payload.length;
  wire.emitIpv6({ nextHeader: wire.IPV6_DEST_OPTIONS, hopLimit: 255, src, dst }, dopts.length + udpLen, buf);
  buf.set(dopts, 40);
  wire.emitUdp({ srcPort: 5353, dstPort: 5353, payload }, src, dst, buf, 48);
  const ip = value(wire.parseIpv6(buf.subarray(0, 48 + udpLen)));
  assert.equal(wire.formatIpv6Address(ip.dst), '2001:db8::20');
  assert.equal(ip.upperProtocol, wire.IPPROTO_UDP);
  const udp = value(wire.parseUdp(ip.payload, { src: ip.src, dst: ip.finalDestination }));
  assert.deepEqual(udp.payload, payload);
});

test('a malformed inner layer is reported with its own layer name', () => {
  const r = wire.parseTcp(new Uint8Array(10));
  assert.deepEqual(r, { ok: false, error: { layer: 'tcp', reason: 'truncated: 10 bytes, header needs 20' } });
});
