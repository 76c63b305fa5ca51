// synack as an interop bench peer, in a process of its own for each MTU, as
// gVisor's and lwIP's peers run: a figure then never depends on what the
// cases before it left in the bench's heap. It makes a namespace with a TUN
// in it, serves the three bench ports (5201 read and discard, 5202 send
// until the client goes, 5203 echo), prints "ready <namespace>", and
// closes everything when its stdin ends.
//
// node dist/bench/synack-peer.js MTU

import type { Socket } from '../src/api/socket.js';
import { NetStack } from '../src/api/index.js';
import { RealClock } from '../src/stack/index.js';
import { SYNACK_V4, withNetns } from '../test/interop/netns.js';

/** synack's servers on the stack: the three ports the client expects. */
function serve(stack: NetStack): Promise<void> {
  const zeros = Buffer.alloc(65536);
  const discard = stack.createServer({ noDelay: true }, (s: Socket) => {
    s.on('error', () => {});
    s.resume();
  });
  const source = stack.createServer({ noDelay: true }, (s: Socket) => {
    let stop = false;
    const pump = (): void => {
      while (!stop && s.write(zeros));
    };
    s.on('drain', pump);
    s.on('error', () => (stop = true));
    s.on('close', () => (stop = true));
    s.on('end', () => (stop = true));
    s.resume();
    pump();
  });
  const echo = stack.createServer({ noDelay: true }, (s: Socket) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  const servers: Array<[ReturnType<NetStack['createServer']>, number]> = [
    [discard, 5201],
    [source, 5202],
    [echo, 5203],
  ];
  return Promise.all(servers.map(([srv, port]) => new Promise<void>((r) => srv.listen(port, () => r())))).then(() => undefined);
}

const mtu = Number(process.argv[2]);
if (mtu !== 1500 && mtu !== 65535) {
  process.stderr.write(`synack-peer: MTU must be 1500 or 65535, got ${process.argv[2] ?? 'nothing'}\n`);
  process.exit(2);
}
await withNetns(
  async (ns) => {
    const stack = new NetStack({ clock: new RealClock() });
    try {
      stack.addInterface({ device: ns.tun, addresses: [`${SYNACK_V4}/24`] });
      await serve(stack);
      const ended = new Promise<void>((r) => process.stdin.once('end', () => r()).once('close', () => r()));
      process.stdin.resume();
      process.stdout.write(`ready ${ns.name}\n`);
      await ended;
    } finally {
      stack.close();
    }
  },
  // SYNACK_BENCH_TSO=0: the TUN without segmentation offload, for comparison.
  { tun: { mtu, txQueueLen: 5000, tso: process.env['SYNACK_BENCH_TSO'] !== '0' }, ipv6: false },
);
