// A UDP peer run by the kernel's side of an interop namespace
// (`ip netns exec NS node udp-peer.js ...`), so the kernel's own UDP sends and
// receives the datagrams.
//
//   send HOST PORT SIZE...   send one datagram of each SIZE; byte i of
//                            datagram k is (k * 31 + i) & 0xff; print "sent N"
//   recv FAMILY PORT COUNT   bind PORT on FAMILY (4 or 6), print "ready", then
//                            one JSON line {"from", "data"(hex)} per datagram;
//                            exit after COUNT datagrams or 10 s of silence

import { createSocket } from 'node:dgram';

/** The payload the sender puts in datagram `k` of `size` bytes (shared with the tests). */
export function peerPayload(k: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  for (let i = 0; i < size; i++) b[i] = (k * 31 + i) & 0xff;
  return b;
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

async function main(argv: string[]): Promise<number> {
  const [mode, a, b, ...rest] = argv;
  if (mode === 'send' && a !== undefined && b !== undefined) {
    const sock = createSocket(a.includes(':') ? 'udp6' : 'udp4');
    const sizes = rest.map(Number);
    // Sequential sends: each waits for the kernel to take the previous one,
    // so the datagrams leave in order.
    for (let k = 0; k < sizes.length; k++) {
      await new Promise<void>((resolve, reject) => sock.send(peerPayload(k, sizes[k]!), Number(b), a, (e) => (e ? reject(e) : resolve())));
    }
    process.stdout.write(`sent ${sizes.length}\n`);
    sock.close();
    return 0;
  }
  if (mode === 'recv' && a !== undefined && b !== undefined) {
    const count = Number(rest[0] ?? '1');
    const sock = createSocket(a === '6' ? 'udp6' : 'udp4');
    let got = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => sock.close(), 10_000);
    };
    sock.on('message', (msg, rinfo) => {
      process.stdout.write(JSON.stringify({ from: `${rinfo.address}:${rinfo.port}`, data: hex(msg) }) + '\n');
      if (++got >= count) {
        if (idle) clearTimeout(idle);
        sock.close();
      } else arm();
    });
    await new Promise<void>((resolve) => sock.bind(Number(b), a === '6' ? '::' : '0.0.0.0', () => resolve()));
    process.stdout.write('ready\n');
    arm();
    await new Promise<void>((resolve) => sock.on('close', () => resolve()));
    return 0;
  }
  process.stderr.write('usage: udp-peer send HOST PORT SIZE... | recv FAMILY PORT COUNT\n');
  return 2;
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`udp-peer: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
