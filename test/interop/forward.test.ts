// Super-segments that the kernel forwards. synack writes TCP super-segments
// into a TUN with segmentation offload (a virtio header: GSO type, gso_size,
// hdr_len, and NEEDS_CSUM with csum_start and csum_offset). A local socket
// takes them whole and trusts the partial checksum, so the other interop
// tests do not show that those fields are right. Here the kernel routes
// them on, into a second TUN opened without any offload: it must cut them
// to the MTU and complete every checksum itself (software GSO), from the
// header fields alone. A second synack stack reads that TUN and checks
// every checksum. A wrong csum_offset shows up as a stall (every segment
// fails its checksum), a gso_size too large as pieces over the MTU that the
// kernel refuses with ICMP errors, counted in the namespace. (The kernel
// takes hdr_len as a hint only: a wrong one changes nothing seen here.)
//
//   stack A 10.91.1.2      kernel (forwarding)             stack B 10.91.2.2
//   fd91:1::2  <-- tunA, TSO -->  10.91.1.1 | 10.91.2.1  <-- tunB, no offload -->  fd91:2::2
//
// The namespace and both interfaces are the test's own and deleted after it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { NetStack, type Socket } from '../../src/api/index.js';
import { RealClock } from '../../src/stack/index.js';
import { openTun, type TunDevice } from '../../src/link/tun/index.js';
import { PcapTap } from '../../src/link/pcap-tap.js';
import { backendSkip, interopSkip, ip, kernelCounters, withBareNetns } from './netns.js';
import { pattern } from '../tcp/harness.js';

const SIZE = 8 << 20;

/** Move `tun` into namespace `ns`, give the kernel's side `v4`/24 and `v6`/64, bring it up. */
function plug(ns: string, tun: TunDevice, v4: string, v6: string): void {
  ip(['link', 'set', 'dev', tun.name, 'netns', ns]);
  ip(['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', tun.name]);
  ip(['-n', ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', tun.name, 'nodad']);
  ip(['-n', ns, 'link', 'set', 'dev', tun.name, 'up']);
}

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

/** Send `data` from `client` and read back the echo until it is all there. */
function echoThrough(client: Socket, data: Uint8Array): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`echo stalled at ${got} of ${data.length} bytes`)), 60_000);
    client.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      got += d.length;
      if (got >= data.length) {
        clearTimeout(timer);
        resolve(Buffer.concat(chunks));
      }
    });
    client.write(data);
  });
}

test(
  'super-segments synack writes to a TUN are forwarded by the kernel, cut to the MTU with every checksum right, to a stack behind a TUN without offloads (IPv4 and IPv6)',
  { skip: interopSkip() ?? backendSkip('addon') },
  async () => {
    await withBareNetns(async (ns) => {
      const tunA = await openTun({ backend: 'addon', mtu: 1500 });
      const tunB = await openTun({ backend: 'addon', mtu: 1500, offload: false });
      const a = new NetStack({ clock: new RealClock() });
      const clockB = new RealClock();
      const b = new NetStack({ clock: clockB });
      // What stack B receives, through a capture tap: the length of every
      // packet (each record after the file header carries it at byte 12).
      let records = 0;
      let largest = 0;
      const tapB = new PcapTap(tunB, {
        clock: clockB,
        direction: 'in',
        write: (chunk) => {
          if (records++ === 0) return;
          largest = Math.max(largest, new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength).getUint32(12, true));
        },
      });
      try {
        assert.ok(tunA.gsoMaxSize > 0, 'the first TUN takes super-segments');
        assert.equal(tunB.checksumOffload, false, 'the second TUN has no offload');
        plug(ns.name, tunA, '10.91.1.1', 'fd91:1::1');
        plug(ns.name, tunB, '10.91.2.1', 'fd91:2::1');
        const fwd = await ns.run(['sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding'], { timeoutMs: 10_000 });
        assert.equal(fwd.code, 0, fwd.stderr);
        a.addInterface({ name: 'tunA', device: tunA, addresses: ['10.91.1.2/24', 'fd91:1::2/64'] });
        a.addRoute('10.91.2.0/24', 'tunA');
        a.addRoute('fd91:2::/64', 'tunA');
        b.addInterface({ name: 'tunB', device: tapB, addresses: ['10.91.2.2/24', 'fd91:2::2/64'] });
        b.addRoute('10.91.1.0/24', 'tunB');
        b.addRoute('fd91:1::/64', 'tunB');
        const server = b.createServer((s) => s.pipe(s));
        await new Promise<void>((resolve) => server.listen(5001, () => resolve()));
        const before = await kernelCounters(ns);
        // Bytes that differ from one position to the next: a misplaced piece shows.
        const data = pattern(SIZE, 0x2545f491);
        for (const host of ['10.91.2.2', 'fd91:2::2']) {
          const superBefore = tunA.stats.txSuperSegments;
          const client = a.connect(5001, host);
          const echoed = await echoThrough(client, data);
          client.destroy();
          assert.equal(echoed.length, SIZE, `${host}: length`);
          assert.equal(sha256(echoed), sha256(data), `${host}: the bytes came back intact`);
          assert.ok(tunA.stats.txSuperSegments > superBefore, `${host}: stack A wrote super-segments (${tunA.stats.txSuperSegments - superBefore})`);
        }
        server.close();
        // Stack B saw only packets the kernel had cut and summed: none
        // larger than the MTU reached it, and every checksum held.
        assert.equal(tunB.stats.rxSuperSegments, 0);
        assert.ok(records > 2 * Math.floor(SIZE / 1448), `stack B received ${records - 1} packets`);
        assert.ok(largest <= 1500, `the largest packet stack B received was ${largest} bytes`);
        assert.equal(b.stats.drops.badChecksum, 0, 'checksums the kernel completed from the virtio header');
        assert.equal(b.stats.drops.malformed, 0);
        assert.equal(a.stats.drops.badChecksum, 0);
        assert.equal(tunA.stats.txErrors, 0, tunA.stats.txLastError);
        const after = await kernelCounters(ns);
        const delta = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0);
        // A piece cut larger than the MTU (a wrong gso_size or hdr_len)
        // would be refused here with an ICMP error, and stack A would
        // carry on with smaller segments: the transfer alone would not tell.
        for (const name of ['Ip.FragFails', 'Icmp.OutDestUnreachs', 'Ip6FragFails', 'Icmp6OutPktTooBigs']) assert.equal(delta(name), 0, name);
        const forwarded = delta('Ip.ForwDatagrams');
        // The echo alone is at least 5,793 full-sized packets (the kernel
        // counts each super-segment it forwards once).
        assert.ok(forwarded >= Math.floor(SIZE / 1448), `the kernel forwarded ${forwarded} IPv4 packets`);
        assert.equal(delta('Ip.OutDiscards'), 0, 'the kernel discarded nothing it forwarded');
      } finally {
        a.close();
        b.close();
        tunA.close();
        tunB.close();
        await Promise.all([tunA.closed, tunB.closed]);
      }
    });
  },
);
