// ECN (RFC 3168) with the kernel's TCP over the TUN. The kernel asks for
// ECN (net.ipv4.tcp_ecn=1 in its namespace) and synack's net API, which
// accepts it, agrees; a device between the TUN and the stack marks some of
// the kernel's ECN-capable data CE, as a congested router would, and the
// kernel must hear synack's ECE and answer with CWR. Then the other way:
// synack asks (ecn 'on') and the kernel, by its default (tcp_ecn=2),
// accepts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetStack } from '../../src/api/index.js';
import { RealClock } from '../../src/stack/index.js';
import { HOST_PROFILE } from '../../src/tcp/config.js';
import type { NetDevice } from '../../src/link/device.js';
import { markCe } from '../../src/wire/ecn.js';
import { CWR, ECE, SYN, ACK } from '../../src/wire/tcp-types.js';
import { interopSkip, KERNEL_V4, SYNACK_V4, withNetns, type Netns } from './netns.js';
import { ECHO_CLIENT, echoedIntact } from './echo-client.js';

interface Seen {
  flags: number;
  ecn: number;
  len: number;
}

/** Watches TCP over IPv4 both ways; marks every `markEvery`-th ECN-capable data packet from the kernel CE. */
class EcnWatch implements NetDevice {
  onReceive: ((packet: Uint8Array, checksumValid?: boolean) => void) | null = null;
  readonly fromKernel: Seen[] = [];
  readonly toKernel: Seen[] = [];
  marked = 0;
  private ectData = 0;

  constructor(
    private readonly inner: NetDevice,
    private readonly markEvery: number,
  ) {
    inner.onReceive = (p, valid) => {
      const s = seen(p);
      if (s !== undefined) {
        this.fromKernel.push(s);
        if (s.len > 0 && (s.ecn === 1 || s.ecn === 2) && this.markEvery > 0 && ++this.ectData % this.markEvery === 0 && markCe(p)) this.marked++;
      }
      this.onReceive?.(p, valid);
    };
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  get checksumOffload(): boolean {
    return this.inner.checksumOffload === true;
  }

  send(packet: Uint8Array, partial?: boolean): void {
    const s = seen(packet);
    if (s !== undefined) this.toKernel.push(s);
    this.inner.send(packet, partial);
  }

  close(): void {
    this.inner.close();
  }
}

function seen(p: Uint8Array): Seen | undefined {
  if (p.length < 40 || p[0]! >>> 4 !== 4 || p[9] !== 6) return undefined;
  const ihl = (p[0]! & 15) * 4;
  const total = (p[2]! << 8) | p[3]!;
  const doff = (p[ihl + 12]! >>> 4) * 4;
  return { flags: p[ihl + 13]! | ((p[ihl + 12]! & 1) << 8), ecn: p[1]! & 3, len: total - ihl - doff };
}

const ECHO_SERVER = `
require('node:net').createServer((s) => s.pipe(s)).listen(7007, '${KERNEL_V4}', () => console.log('ready'));
`;

async function setEcn(ns: Netns, value: number): Promise<void> {
  const r = await ns.run(['sh', '-c', `echo ${value} > /proc/sys/net/ipv4/tcp_ecn`]);
  assert.equal(r.code, 0, r.stderr);
}

const skip = interopSkip();

test('ECN with the kernel: its ECN-setup SYN is accepted, CE marks on its data come back as ECE, and it answers with CWR', { skip }, async () => {
  await withNetns(
    async (ns) => {
      await setEcn(ns, 1);
      const dev = new EcnWatch(ns.tun, 10);
      const stack = new NetStack({ clock: new RealClock() });
      try {
        stack.addInterface({ device: dev, addresses: [`${SYNACK_V4}/24`] });
        const server = stack.createServer((s) => s.pipe(s));
        await new Promise<void>((r) => server.listen(7, () => r()));
        const size = 2_000_000;
        const r = await ns.run([process.execPath, '-e', ECHO_CLIENT, SYNACK_V4, '7', String(size)], { timeoutMs: 60_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), echoedIntact(size));
        server.close();

        const syn = dev.fromKernel.find((s) => (s.flags & (SYN | ACK)) === SYN)!;
        const synAck = dev.toKernel.find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK))!;
        assert.equal(syn.flags & (ECE | CWR), ECE | CWR, 'the kernel asked for ECN');
        assert.equal(synAck.flags & (ECE | CWR), ECE, 'synack agreed');
        // The kernel's new data is ECN-capable; so is synack's echo.
        assert.ok(dev.fromKernel.some((s) => s.len > 0 && s.ecn === 2), 'kernel data in ECT(0)');
        assert.ok(dev.toKernel.some((s) => s.len > 0 && s.ecn === 2), 'synack data in ECT(0)');
        assert.ok(dev.marked > 0);
        assert.ok(dev.toKernel.some((s) => (s.flags & (ECE | SYN)) === ECE), 'synack echoed the CE marks');
        assert.ok(dev.fromKernel.some((s) => (s.flags & (CWR | SYN)) === CWR), 'the kernel reduced its window and said so');
      } finally {
        stack.close();
      }
    },
    { ipv6: false },
  );
});

test("ECN with the kernel: synack asks (ecn 'on') and the kernel's default accepts; both send ECN-capable data", { skip }, async () => {
  await withNetns(
    async (ns) => {
      await setEcn(ns, 2);
      const dev = new EcnWatch(ns.tun, 0);
      const stack = new NetStack({ clock: new RealClock(), tcp: { ...HOST_PROFILE, ecn: 'on' } });
      const server = ns.spawn([process.execPath, '-e', ECHO_SERVER], { stdio: ['ignore', 'pipe', 'pipe'] });
      try {
        await new Promise<void>((resolve, reject) => {
          server.stdout?.once('data', () => resolve());
          server.once('exit', (code) => reject(new Error(`echo server exited ${code}`)));
        });
        stack.addInterface({ device: dev, addresses: [`${SYNACK_V4}/24`] });
        const size = 500_000;
        const got = await new Promise<number>((resolve, reject) => {
          let n = 0;
          const c = stack.connect(7007, KERNEL_V4, () => c.end(Buffer.alloc(size, 7)));
          c.on('data', (d: Buffer) => (n += d.length));
          c.on('end', () => resolve(n));
          c.on('error', reject);
        });
        assert.equal(got, size);
        const syn = dev.toKernel.find((s) => (s.flags & (SYN | ACK)) === SYN)!;
        const synAck = dev.fromKernel.find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK))!;
        assert.equal(syn.flags & (ECE | CWR), ECE | CWR);
        assert.equal(synAck.flags & (ECE | CWR), ECE, 'the kernel agreed');
        assert.ok(dev.toKernel.some((s) => s.len > 0 && s.ecn === 2));
        assert.ok(dev.fromKernel.some((s) => s.len > 0 && s.ecn === 2));
      } finally {
        server.kill();
        stack.close();
      }
    },
    { ipv6: false },
  );
});
