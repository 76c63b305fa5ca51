// Many concurrent idle connections in one process: two simulated stacks,
// N TCP connections between them (2N connection ends), established and
// left idle. Reports the heap each connection end costs, and how fast the
// handshakes ran; then the heap each connection costs while it waits out
// TIME-WAIT (kept as a compact record), after a request, a response and a
// close by the server. Not a pass/fail test: figures drift with the machine.
//
// SYNACK_BENCH_CONNECTIONS sets N (default 100,000); SYNACK_BENCH_SOCKETS
// the count for the net.Socket case (default 10,000); SYNACK_BENCH_TIME_WAIT
// the count for the TIME-WAIT case (default 20,000).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { VirtualClock } from '../src/sim/virtual-clock.js';
import { Rng } from '../src/sim/rng.js';
import { createLinkPair } from '../src/sim/device.js';
import { Stack } from '../src/stack/stack.js';
import { NetStack } from '../src/api/net.js';
import type { Socket } from '../src/api/socket.js';
import { parseAddress } from '../src/stack/addr.js';
import type { TcpEndpoint } from '../src/stack/tcp-endpoint.js';
import type { Bench, BenchRow } from './harness.js';

const N = Number(process.env['SYNACK_BENCH_CONNECTIONS'] ?? '100000');
const N_SOCKETS = Number(process.env['SYNACK_BENCH_SOCKETS'] ?? '10000');
const N_TIME_WAIT = Number(process.env['SYNACK_BENCH_TIME_WAIT'] ?? '20000');
/** Listening ports: each gives the default ephemeral range (28,232 ports) of 4-tuples. */
const PORTS = [80, 81, 82, 83, 84];

function gcFunction(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Bytes in use after a full collection: the JS heap and the memory of
 * ArrayBuffers, which lives outside it (typed arrays larger than 64 bytes,
 * packet slabs, the TIME-WAIT store's columns).
 */
function memoryAfterGc(gc: () => void): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function pair<S extends Stack>(make: (clock: VirtualClock, rng: Rng) => S): { clock: VirtualClock; a: S; b: S } {
  const clock = new VirtualClock();
  const rng = new Rng(2024);
  const link = createLinkPair(clock, rng.fork('link'), { ab: { delay: 100 }, ba: { delay: 100 } });
  const a = make(clock, rng.fork('a'));
  const b = make(clock, rng.fork('b'));
  a.addInterface({ device: link.a, addresses: '10.0.0.1/24' });
  b.addInterface({ device: link.b, addresses: '10.0.0.2/24' });
  return { clock, a, b };
}

async function stackCase(gc: () => void): Promise<BenchRow[]> {
  const { clock, a, b } = pair((clock, random) => new Stack({ clock, random }));
  const accepted: TcpEndpoint[] = [];
  for (const port of PORTS) {
    const l = b.tcpListen({ port, addr: parseAddress('0.0.0.0')!, backlog: 65535 });
    l.onConnection = (ep) => {
      ep.setHandler(() => {});
      accepted.push(ep);
    };
  }
  const remote = parseAddress('10.0.0.2')!;
  const clients: TcpEndpoint[] = [];
  const before = memoryAfterGc(gc);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const ep = a.tcpConnect({ remoteAddr: remote, remotePort: PORTS[i % PORTS.length]! });
    ep.setHandler(() => {});
    clients.push(ep);
    if (i % 1000 === 999) clock.runFor(1000);
  }
  clock.runFor(1_000_000);
  const ms = performance.now() - t0;
  const established = clients.filter((c) => c.state === 'ESTABLISHED').length;
  const after = memoryAfterGc(gc);
  const ends = established + accepted.length;
  const perEnd = (after - before) / ends;
  const rows: BenchRow[] = [
    {
      bench: 'connections',
      case: `stack: ${established.toLocaleString('en-US')} idle connections`,
      value: perEnd,
      unit: 'B / connection end',
      note: `${((after - before) / 2 ** 20).toFixed(0)} MiB for ${ends.toLocaleString('en-US')} ends (both stacks)`,
    },
    { bench: 'connections', case: 'stack: handshakes', value: (established / ms) * 1000, unit: 'connections/s', note: 'simulated, wall clock' },
  ];
  // Keep everything alive until measured.
  if (accepted.length + clients.length < 0) console.log(a, b);
  return rows;
}

/** The server answers and closes first, so it holds the connections in TIME-WAIT (60 s) when measured. */
function timeWaitCase(gc: () => void): BenchRow[] {
  const { clock, a, b } = pair((clock, random) => new Stack({ clock, random }));
  const response = new Uint8Array(64);
  for (const port of PORTS) {
    const l = b.tcpListen({ port, addr: parseAddress('0.0.0.0')!, backlog: 65535 });
    l.onConnection = (ep) => {
      ep.handler = (ev) => {
        if (ev.type !== 'readable') return;
        while (ep.read() !== null);
        ep.send(response);
        ep.close();
      };
    };
  }
  const remote = parseAddress('10.0.0.2')!;
  const request = new Uint8Array(64);
  const before = memoryAfterGc(gc);
  for (let i = 0; i < N_TIME_WAIT; i++) {
    // Spread over the ports, as a client's new connection may reuse a 4-tuple the server still holds in TIME-WAIT (and take it over).
    const c = a.tcpConnect({ remoteAddr: remote, remotePort: PORTS[i % PORTS.length]! });
    c.handler = (ev) => {
      if (ev.type === 'established') c.send(request);
      else if (ev.type === 'readable') while (c.read() !== null);
      else if (ev.type === 'eof') c.close();
    };
    if (i % 1000 === 999) clock.runFor(1000);
  }
  clock.runFor(1_000_000);
  const after = memoryAfterGc(gc);
  let timeWait = 0;
  for (const ep of b.connections()) if (ep.state === 'TIME_WAIT') timeWait++;
  return [
    {
      bench: 'connections',
      case: `stack: ${timeWait.toLocaleString('en-US')} connections in TIME-WAIT`,
      value: (after - before) / timeWait,
      unit: 'B / connection',
      note: `the server's ends (the clients' are closed); ${a.connectionCount} left on the client`,
    },
  ];
}

async function socketCase(gc: () => void): Promise<BenchRow[]> {
  const { clock, a, b } = pair((clock, random) => new NetStack({ clock, random }));
  const accepted: Socket[] = [];
  const server = b.createServer((s) => accepted.push(s));
  server.listen(80, '0.0.0.0', 65535);
  const clients: Socket[] = [];
  const before = memoryAfterGc(gc);
  for (let i = 0; i < N_SOCKETS; i++) {
    clients.push(a.connect(80, '10.0.0.2'));
    if (i % 1000 === 999) {
      clock.runFor(1000);
      await new Promise((r) => setImmediate(r));
    }
  }
  for (let i = 0; i < 20; i++) {
    clock.runFor(100_000);
    await new Promise((r) => setImmediate(r));
  }
  const connected = clients.filter((c) => !c.connecting && !c.destroyed).length;
  const after = memoryAfterGc(gc);
  const ends = connected + accepted.length;
  return [
    {
      bench: 'connections',
      case: `net.Socket: ${connected.toLocaleString('en-US')} idle connections`,
      value: (after - before) / ends,
      unit: 'B / connection end',
      note: 'stream.Duplex and all',
    },
  ];
}

export const connectionsBench: Bench = {
  name: 'connections',
  description: `${N.toLocaleString('en-US')} concurrent idle TCP connections in simulation: heap per connection`,
  async run(): Promise<BenchRow[]> {
    const gc = gcFunction();
    return [...(await stackCase(gc)), ...timeWaitCase(gc), ...(await socketCase(gc))];
  },
};
