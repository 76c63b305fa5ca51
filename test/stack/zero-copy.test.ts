// Large TCP payloads reach the application without a copy: the receive
// buffer keeps the payload of a packet the stack received as it is, and
// read() hands it over (RecvBuffer.write(..., adopt)). The packet is the
// receiver's alone (NetDevice.onReceive), so an application that writes
// into what it read changes nothing anyone else sees: not later reads, not
// a capture of the same packets.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4, B6 } from './helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import { ADOPT_MIN } from '../../src/tcp/recv-buffer.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { parseTcp } from '../../src/wire/tcp.js';
import { Tap } from '../../src/sim/tap.js';
import { pattern } from '../tcp/harness.js';

for (const v6 of [false, true]) {
  test(`at MTU 65535, reads hand over the received packets' payloads themselves (IPv${v6 ? 6 : 4})`, () => {
    const p = makePair({ seed: 9, mtu: 65535, ab: { batch: true, delay: 100, loss: 0.01 }, ba: { batch: true, delay: 100 }, stack: { tcp: { ...LINUX_PROFILE, rcvBuf: 1 << 20, sndBuf: 1 << 20 } } });
    const tap = Tap.onLink(p.link.ab, { at: 'deliver' });
    const n = 3_000_000;
    const data = pattern(n, 1);
    const got: Uint8Array[] = [];
    let views = 0;
    p.b.tcpListen({ port: 9 }).onConnection = (ep) => {
      ep.handler = (ev) => {
        if (ev.type !== 'readable') return;
        for (let d = ep.read(); d !== null; d = ep.read()) {
          got.push(d.slice());
          // A payload handed over as it is: a view into its packet, past the headers.
          if (d.length >= ADOPT_MIN && d.byteOffset >= (v6 ? 40 : 20) + 20 && d.buffer.byteLength >= d.byteOffset + d.length) views++;
          // The application's to scribble on.
          d.fill(0);
        }
      };
    };
    const a = p.a.tcpConnect({ remoteAddr: parseAddress(v6 ? B6 : B4)!, remotePort: 9 });
    let sent = 0;
    a.handler = (ev) => {
      if (ev.type === 'established' || ev.type === 'writable') {
        while (sent < n) {
          const k = a.send(data.subarray(sent));
          if (k === 0) break;
          sent += k;
        }
      }
    };
    p.clock.runUntil(30e6);
    assert.deepEqual(new Uint8Array(Buffer.concat(got)), data, 'every byte, in order, whatever the reader did to earlier reads');
    assert.ok(views > 20, `${views} reads were packets' payloads`);
    // The capture still holds what was sent: the reader's writes reached nobody else.
    let checked = 0;
    for (const r of tap.records()) {
      const ip = v6 ? parseIpv6(r.data) : parseIpv4(r.data);
      assert.ok(ip.ok);
      const t = parseTcp(ip.value.payload);
      assert.ok(t.ok);
      const seg = t.value;
      if (seg.payload.length < ADOPT_MIN) continue;
      const off = (seg.seq - (a.conn.iss + 1)) >>> 0;
      assert.deepEqual(seg.payload, data.subarray(off, off + seg.payload.length));
      checked++;
    }
    assert.ok(checked > 20);
  });
}
