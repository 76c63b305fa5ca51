// The stack on a TUN device, against the kernel in a private namespace: the
// use docs/tun.md describes. ICMP both ways, and a kernel TCP client
// (Node's own `net`, run inside the namespace) sending 1 MB through an echo
// server on synack and checking what comes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { NetStack } from '../../src/api/index.js';
import { RealClock } from '../../src/stack/index.js';
import { backendSkip, interopSkip, KERNEL_V4, KERNEL_V6, SYNACK_V4, SYNACK_V6, withNetns } from './netns.js';

// Runs inside the namespace: connect, send SIZE bytes of a known pattern,
// half-close, and print the byte count and sha256 of what came back.
const CLIENT = `
const net = require('node:net');
const crypto = require('node:crypto');
const [host, port, size] = process.argv.slice(1);
const data = Buffer.alloc(Number(size));
for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
const hash = crypto.createHash('sha256');
let got = 0;
const c = net.connect(Number(port), host, () => c.end(data));
c.on('data', (d) => { got += d.length; hash.update(d); });
c.on('end', () => console.log(JSON.stringify({ got, sha256: hash.digest('hex') })));
c.on('error', (e) => { console.error(e.message); process.exitCode = 1; });
`;

function expectedSha(size: number): string {
  const data = Buffer.alloc(size);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 0xff;
  return createHash('sha256').update(data).digest('hex');
}

for (const backend of ['addon', 'python'] as const) {
  test(`the stack on a TUN answers the kernel's pings, pings it back, and echoes 1 MB over TCP to a kernel client (${backend})`, { skip: interopSkip(['ping']) ?? backendSkip(backend) }, async () => {
    await withNetns(
      async (ns) => {
        const stack = new NetStack({ clock: new RealClock() });
        try {
          stack.addInterface({ device: ns.tun, addresses: [`${SYNACK_V4}/24`, `${SYNACK_V6}/64`] });

          const p4 = await ns.run(['ping', '-4', '-n', '-c', '2', '-i', '0.2', '-W', '2', SYNACK_V4], { timeoutMs: 20_000 });
          assert.match(p4.stdout, /2 packets transmitted, 2 received/, p4.stdout);
          const p6 = await ns.run(['ping', '-6', '-n', '-c', '2', '-i', '0.2', '-W', '2', SYNACK_V6], { timeoutMs: 20_000 });
          assert.match(p6.stdout, /2 packets transmitted, 2 received/, p6.stdout);

          assert.equal((await stack.ping(KERNEL_V4, { timeout: 5_000_000 })).from, KERNEL_V4);
          assert.equal((await stack.ping(KERNEL_V6, { timeout: 5_000_000 })).from, KERNEL_V6);

          const server = stack.createServer((socket) => socket.pipe(socket));
          await new Promise<void>((resolve) => server.listen(7, () => resolve()));
          const size = 1_000_000;
          for (const host of [SYNACK_V4, SYNACK_V6]) {
            const r = await ns.run([process.execPath, '-e', CLIENT, host, '7', String(size)], { timeoutMs: 60_000 });
            assert.equal(r.code, 0, `client to ${host}: ${r.stderr}`);
            assert.deepEqual(JSON.parse(r.stdout), { got: size, sha256: expectedSha(size) }, `echo through ${host}`);
          }
          server.close();
          assert.equal(ns.tun.stats.txErrors, 0, ns.tun.stats.txLastError);
        } finally {
          stack.close();
        }
      },
      { tun: { backend } },
    );
  });
}
