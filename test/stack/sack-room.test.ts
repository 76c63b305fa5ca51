// A segment that carries SACK blocks carries that much less data (RFC 9293
// §3.7.1: the MSS counts data only). Both sides send at once over a link
// that loses and duplicates packets, so each side holds out-of-order data
// (SACK blocks) or a duplicate (a D-SACK block) while it sends full-sized
// segments of its own. Before, those segments were 28 to 36 bytes larger
// than the MTU: the stack refused them ('tooBig'), retransmissions of
// them too, and both connections backed off to a 120 s timeout.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makePair, B4, B6 } from './helpers.js';
import { LINUX_PROFILE } from '../../src/tcp/config.js';
import { parseAddress } from '../../src/stack/addr.js';
import { parseIpv4 } from '../../src/wire/ipv4.js';
import { parseIpv6 } from '../../src/wire/ipv6.js';
import { parseTcp } from '../../src/wire/tcp.js';
import type { TcpEndpoint } from '../../src/stack/tcp-endpoint.js';
import { pattern } from '../tcp/harness.js';

for (const timestamps of [true, false]) {
  for (const v6 of [false, true]) {
    test(`data segments with SACK blocks fit the MTU (timestamps ${timestamps ? 'on' : 'off'}, IPv${v6 ? 6 : 4})`, () => {
      const link = { batch: true, duplicate: 0.1, loss: 0.02, delay: 500 };
      const p = makePair({ seed: 3, ab: link, ba: link, stack: { tcp: { ...LINUX_PROFILE, timestamps } } });
      let withSack = 0;
      let fullWithSack = 0;
      let largest = 0;
      for (const l of [p.link.ab, p.link.ba]) {
        l.watch((e) => {
          if (e.kind !== 'send') return;
          largest = Math.max(largest, e.packet.length);
          const payload = v6 ? parseIpv6(e.packet) : parseIpv4(e.packet);
          assert.ok(payload.ok);
          const t = parseTcp(payload.value.payload);
          assert.ok(t.ok);
          if (t.value.payload.length > 0 && t.value.options.some((o) => o.kind === 'sack')) {
            withSack++;
            if (e.packet.length === 1500) fullWithSack++;
          }
        });
      }
      const n = 600_000;
      const got = { a: [] as Uint8Array[], b: [] as Uint8Array[] };
      const pump = (ep: TcpEndpoint, data: Uint8Array, sent: { n: number }): void => {
        while (sent.n < data.length) {
          const k = ep.send(data.subarray(sent.n));
          if (k === 0) break;
          sent.n += k;
        }
      };
      const toA = pattern(n, 2);
      const toB = pattern(n, 1);
      const sentA = { n: 0 };
      const sentB = { n: 0 };
      p.b.tcpListen({ port: 7 }).onConnection = (ep) => {
        ep.handler = (ev) => {
          if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) got.b.push(d.slice());
          if (ev.type === 'writable') pump(ep, toA, sentB);
        };
        pump(ep, toA, sentB);
      };
      const a = p.a.tcpConnect({ remoteAddr: parseAddress(v6 ? B6 : B4)!, remotePort: 7 });
      a.handler = (ev) => {
        if (ev.type === 'readable') for (let d = a.read(); d !== null; d = a.read()) got.a.push(d.slice());
        if (ev.type === 'established' || ev.type === 'writable') pump(a, toB, sentA);
      };
      p.clock.runUntil(60e6);
      assert.equal(p.a.stats.drops.tooBig + p.b.stats.drops.tooBig, 0, 'no segment was too big to send');
      assert.ok(largest <= 1500, `largest packet ${largest} bytes`);
      assert.deepEqual(new Uint8Array(Buffer.concat(got.b)), toB);
      assert.deepEqual(new Uint8Array(Buffer.concat(got.a)), toA);
      // The case arose, and such segments still filled the MTU.
      assert.ok(withSack > 20, `${withSack} data segments carried SACK blocks`);
      assert.ok(fullWithSack > 0, 'some filled the MTU exactly');
    });
  }
}
