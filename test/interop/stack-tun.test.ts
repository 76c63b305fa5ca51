// The stack on a TUN device, against the kernel in a private namespace: the
// use docs/tun.md describes. ICMP both ways, and a kernel TCP client
// (Node's own `net`, run inside the namespace) sending 1 MB through an echo
// server on synack and checking what comes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetStack } from '../../src/api/index.js';
import { RealClock } from '../../src/stack/index.js';
import { backendSkip, interopSkip, KERNEL_V4, KERNEL_V6, SYNACK_V4, SYNACK_V6, withNetns } from './netns.js';
import { ECHO_CLIENT, echoedIntact } from './echo-client.js';

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
            const r = await ns.run([process.execPath, '-e', ECHO_CLIENT, host, '7', String(size)], { timeoutMs: 60_000 });
            assert.equal(r.code, 0, `client to ${host}: ${r.stderr}`);
            assert.deepEqual(JSON.parse(r.stdout), echoedIntact(size), `echo through ${host}`);
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
