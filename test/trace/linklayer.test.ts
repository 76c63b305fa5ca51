import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeLink } from '../../src/trace/linklayer.js';

const u8 = (...b: number[]) => Uint8Array.from(b);
const MAC_A = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];
const IPV4_START = [0x45, 0x00, 0x00, 0x28];
const IPV6_START = [0x60, 0x00, 0x00, 0x00];

test('NULL: AF in the writer byte order, swapped when the upper 16 bits are set', () => {
  const le = decodeLink(0, u8(2, 0, 0, 0, ...IPV4_START));
  assert.deepEqual(le, { offset: 4, proto: 'ipv4', af: 2, headerLength: 4 });
  const be = decodeLink(0, u8(0, 0, 0, 2, ...IPV4_START));
  assert.deepEqual(be, { offset: 4, proto: 'ipv4', af: 2, headerLength: 4 });
  for (const af of [10, 24, 28, 30]) {
    assert.equal(decodeLink(0, u8(af, 0, 0, 0, ...IPV6_START)).proto, 'ipv6', `AF ${af} LE`);
    assert.equal(decodeLink(0, u8(0, 0, 0, af, ...IPV6_START)).proto, 'ipv6', `AF ${af} BE`);
  }
  const iso = decodeLink(0, u8(7, 0, 0, 0, 0xfe));
  assert.deepEqual([iso.proto, iso.af, iso.offset], ['other', 7, 4]);
  assert.deepEqual(decodeLink(0, u8(2, 0, 0)), { offset: -1, proto: 'other', headerLength: 4 });
});

test('LOOP: AF in network byte order, never swapped', () => {
  assert.deepEqual(decodeLink(108, u8(0, 0, 0, 2, ...IPV4_START)), { offset: 4, proto: 'ipv4', af: 2, headerLength: 4 });
  assert.equal(decodeLink(108, u8(0, 0, 0, 30, ...IPV6_START)).proto, 'ipv6');
  const le = decodeLink(108, u8(2, 0, 0, 0, ...IPV4_START));
  assert.deepEqual([le.proto, le.af], ['other', 0x02000000]);
});

test('Ethernet: addresses, IPv4, IPv6 and other ethertypes', () => {
  const v4 = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x08, 0x00, ...IPV4_START));
  assert.equal(v4.offset, 14);
  assert.equal(v4.headerLength, 14);
  assert.equal(v4.proto, 'ipv4');
  assert.equal(v4.ethertype, 0x0800);
  assert.deepEqual([...v4.ethDst!], MAC_A);
  assert.deepEqual([...v4.ethSrc!], MAC_B);
  assert.equal(v4.vlans, undefined);
  const v6 = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x86, 0xdd, ...IPV6_START));
  assert.deepEqual([v6.offset, v6.proto, v6.ethertype], [14, 'ipv6', 0x86dd]);
  const arp = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x08, 0x06, 0, 1));
  assert.deepEqual([arp.offset, arp.proto, arp.ethertype], [14, 'other', 0x0806]);
  // An 802.3 length field is not an ethertype for IP.
  const llc = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x00, 0x2e, 0xaa, 0xaa, 3));
  assert.deepEqual([llc.offset, llc.proto, llc.ethertype], [14, 'other', 0x2e]);
});

test('Ethernet: 802.1Q tag, and 802.1ad + 802.1Q stacked (outermost first)', () => {
  // TCI 0xb064: pcp 5, dei 1, vid 100.
  const q = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x81, 0x00, 0xb0, 0x64, 0x08, 0x00, ...IPV4_START));
  assert.deepEqual([q.offset, q.headerLength, q.proto, q.ethertype], [18, 18, 'ipv4', 0x0800]);
  assert.deepEqual(q.vlans, [{ tpid: 0x8100, pcp: 5, dei: 1, vid: 100 }]);
  const qinq = decodeLink(
    1,
    u8(...MAC_A, ...MAC_B, 0x88, 0xa8, 0x0f, 0xff, 0x81, 0x00, 0x20, 0x07, 0x86, 0xdd, ...IPV6_START),
  );
  assert.deepEqual([qinq.offset, qinq.headerLength, qinq.proto, qinq.ethertype], [22, 22, 'ipv6', 0x86dd]);
  assert.deepEqual(qinq.vlans, [
    { tpid: 0x88a8, pcp: 0, dei: 0, vid: 4095 },
    { tpid: 0x8100, pcp: 1, dei: 0, vid: 7 },
  ]);
});

test('Ethernet cut short: offset -1, with what could be read', () => {
  const short = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x08));
  assert.equal(short.offset, -1);
  assert.equal(short.proto, 'other');
  assert.equal(short.headerLength, 14);
  assert.deepEqual([...short.ethDst!], MAC_A);
  assert.deepEqual([...short.ethSrc!], MAC_B);
  const onlyDst = decodeLink(1, u8(...MAC_A, 1, 2));
  assert.deepEqual([onlyDst.offset, onlyDst.ethSrc], [-1, undefined]);
  assert.deepEqual([...onlyDst.ethDst!], MAC_A);
  const inTag = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x81, 0x00, 0x00, 0x05, 0x08));
  assert.deepEqual([inTag.offset, inTag.headerLength, inTag.vlans], [-1, 18, undefined]);
  const inSecondTag = decodeLink(1, u8(...MAC_A, ...MAC_B, 0x88, 0xa8, 0x00, 0x05, 0x81, 0x00, 0x00));
  assert.deepEqual([inSecondTag.offset, inSecondTag.headerLength], [-1, 22]);
  assert.deepEqual(inSecondTag.vlans, [{ tpid: 0x88a8, pcp: 0, dei: 0, vid: 5 }]);
  assert.equal(decodeLink(1, new Uint8Array(0)).offset, -1);
});

test('RAW (101, 12, 14): the version nibble decides', () => {
  for (const lt of [101, 12, 14]) {
    assert.deepEqual(decodeLink(lt, u8(...IPV4_START)), { offset: 0, proto: 'ipv4', headerLength: 0 }, `${lt}`);
    assert.deepEqual(decodeLink(lt, u8(...IPV6_START)), { offset: 0, proto: 'ipv6', headerLength: 0 }, `${lt}`);
    assert.equal(decodeLink(lt, u8(0x50, 0)).proto, 'other');
    assert.equal(decodeLink(lt, new Uint8Array(0)).proto, 'other');
  }
});

test('IPV4 (228) and IPV6 (229) do not look at the bytes', () => {
  assert.deepEqual(decodeLink(228, u8(0x60)), { offset: 0, proto: 'ipv4', headerLength: 0 });
  assert.deepEqual(decodeLink(229, u8(0x45)), { offset: 0, proto: 'ipv6', headerLength: 0 });
});

test('LINUX_SLL: 16-byte header, protocol at 14, address halen bytes long', () => {
  // pkttype 4 (outgoing), hatype 1 (Ethernet), halen 6, address padded to 8.
  const sll = u8(0, 4, 0, 1, 0, 6, ...MAC_A, 0, 0, 0x08, 0x00, ...IPV4_START);
  const d = decodeLink(113, sll);
  assert.deepEqual([d.offset, d.headerLength, d.proto, d.ethertype], [16, 16, 'ipv4', 0x0800]);
  assert.deepEqual([d.sllPktType, d.sllHaType], [4, 1]);
  assert.deepEqual([...d.sllAddr!], MAC_A);
  assert.equal(d.sll2IfIndex, undefined);
  // halen above 8 is clipped to the 8 address bytes.
  const long = decodeLink(113, u8(0, 0, 0, 1, 0, 20, 1, 2, 3, 4, 5, 6, 7, 8, 0x86, 0xdd, ...IPV6_START));
  assert.deepEqual([...long.sllAddr!], [1, 2, 3, 4, 5, 6, 7, 8]);
  assert.equal(long.proto, 'ipv6');
  // A VLAN tag after the cooked header.
  const tagged = decodeLink(113, u8(0, 0, 0, 1, 0, 6, ...MAC_A, 0, 0, 0x81, 0x00, 0x00, 0x2a, 0x08, 0x00, ...IPV4_START));
  assert.deepEqual([tagged.offset, tagged.proto, tagged.vlans?.[0]?.vid], [20, 'ipv4', 42]);
  assert.deepEqual(decodeLink(113, sll.subarray(0, 15)), { offset: -1, proto: 'other', headerLength: 16 });
});

test('LINUX_SLL2: 20-byte header with protocol first and the interface index', () => {
  // protocol 0x86dd, reserved, ifindex 3, hatype 772 (loopback), pkttype 4, halen 6, address.
  const sll2 = u8(0x86, 0xdd, 0, 0, 0, 0, 0, 3, 0x03, 0x04, 4, 6, ...MAC_B, 0, 0, ...IPV6_START);
  const d = decodeLink(276, sll2);
  assert.deepEqual([d.offset, d.headerLength, d.proto, d.ethertype], [20, 20, 'ipv6', 0x86dd]);
  assert.deepEqual([d.sll2IfIndex, d.sllHaType, d.sllPktType], [3, 772, 4]);
  assert.deepEqual([...d.sllAddr!], MAC_B);
  assert.deepEqual(decodeLink(276, sll2.subarray(0, 19)), { offset: -1, proto: 'other', headerLength: 20 });
});

test('unknown link types give offset 0 and proto other', () => {
  assert.deepEqual(decodeLink(147, u8(0x45, 0)), { offset: 0, proto: 'other', headerLength: 0 });
});

test('never throws; a found offset is the header length and lies inside the data', () => {
  const linktypes = fc.constantFrom(0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147, 0xffff);
  fc.assert(
    fc.property(linktypes, fc.uint8Array({ maxLength: 40 }), (lt, data) => {
      const d = decodeLink(lt, data);
      if (d.offset >= 0) {
        assert.equal(d.offset, d.headerLength);
        assert.ok(d.offset <= data.length);
      } else {
        assert.equal(d.offset, -1);
        assert.ok(d.headerLength > data.length);
      }
    }),
    { numRuns: 3000 },
  );
});
