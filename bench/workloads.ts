// The in-memory workloads of the bulk bench (transfer, ping-pong,
// connect+request+close), written against a build of synack passed in: the
// bench runs them on this build, and `bench/ab.ts` on two builds at once.

import { createLinkPair } from '../src/sim/device.js';
import { Rng } from '../src/sim/rng.js';
import { VirtualClock } from '../src/sim/virtual-clock.js';
import { Stack } from '../src/stack/stack.js';
import { parseAddress } from '../src/stack/addr.js';
import type { TcpEndpoint } from '../src/stack/tcp-endpoint.js';
import type { LinkOptions } from '../src/sim/link.js';
import type { CongestionControlName } from '../src/tcp/cc/types.js';

export const MB = 1 << 20;

/** What the workloads use of a build. */
export interface Build {
  createLinkPair: typeof createLinkPair;
  Rng: typeof Rng;
  VirtualClock: typeof VirtualClock;
  Stack: typeof Stack;
  parseAddress: typeof parseAddress;
}

/** The build this file was compiled with. */
export const thisBuild: Build = { createLinkPair, Rng, VirtualClock, Stack, parseAddress };

/** Two stacks on a simulated link: 10.0.0.1 (a) and 10.0.0.2 (b). */
export interface Pair {
  clock: VirtualClock;
  a: Stack;
  b: Stack;
}

/**
 * Buffer sizes: 'fixed', max(4 MB, 64 segments) each way; 'auto', from
 * 1 MB auto-tuned up to that (TcpConfig.rcvBufMax and sndBufMax), as a
 * host runs them. On the simulated link, with no delay, a fixed 4 MB window
 * keeps 4 MB in flight. Auto-tuned, the receive buffer grows only after a
 * round trip of at least a millisecond, which this link's are not: at MTU
 * 1500 it stays at 1 MB, and a long transfer runs a third faster (most
 * likely because 4 MB in flight, in rings and packets, outgrows the
 * processor's caches: fixed 1 MB buffers run as fast).
 */
export type Buffers = 'fixed' | 'auto';

export interface Workloads {
  pair(mtu: number, link?: LinkOptions, seed?: number, cc?: CongestionControlName, buffers?: Buffers): Pair;
  transfer(p: Pair, bytes: number, simLimit?: number): { wallMs: number; simUs: number; received: number };
  pingPong(n: number): number;
  connectRate(n: number): { rate: number; cpuUs: number };
}

export function workloads(build: Build): Workloads {
  function pair(mtu: number, link: LinkOptions = {}, seed = 7, cc?: CongestionControlName, buffers: Buffers = 'fixed'): Pair {
    const clock = new build.VirtualClock();
    const rng = new build.Rng(seed);
    // The links hand over what arrives together as one batch, as a NIC does
    // (LinkOptions.batch): the receiver acknowledges a burst once.
    const l = build.createLinkPair(clock, rng.fork('link'), { mtu, ab: { batch: true, ...link }, ba: { batch: true, ...link } });
    const buf = Math.max(4 * MB, 64 * mtu);
    const sizes = buffers === 'auto' ? { rcvBuf: MB, sndBuf: MB, rcvBufMax: buf, sndBufMax: buf } : { rcvBuf: buf, sndBuf: buf };
    const tcp = { ...sizes, ...(cc !== undefined ? { congestionControl: cc } : {}) };
    const a = new build.Stack({ clock, random: rng.fork('a'), tcp: { ...new build.Stack({ clock }).tcpConfig, ...tcp } });
    const b = new build.Stack({ clock, random: rng.fork('b'), tcp: { ...a.tcpConfig } });
    a.addInterface({ device: l.a, addresses: '10.0.0.1/24' });
    b.addInterface({ device: l.b, addresses: '10.0.0.2/24' });
    return { clock, a, b };
  }

  /**
   * Sends `bytes` from a to b; returns the simulated and the wall-clock time.
   * The receiver reads as data arrives; the sender refills as space frees.
   */
  function transfer(p: Pair, bytes: number, simLimit = 3600e6): { wallMs: number; simUs: number; received: number } {
    const l = p.b.tcpListen({ port: 5001, addr: build.parseAddress('0.0.0.0')! });
    let received = 0;
    let receiver: TcpEndpoint | undefined;
    l.onConnection = (ep) => {
      receiver = ep;
      ep.handler = (ev) => {
        if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) received += d.length;
      };
    };
    const chunk = new Uint8Array(256 * 1024).fill(0x5a);
    let sent = 0;
    const ep = p.a.tcpConnect({ remoteAddr: build.parseAddress('10.0.0.2')!, remotePort: 5001 });
    const pump = (): void => {
      while (sent < bytes) {
        const n = ep.send(chunk.subarray(0, Math.min(chunk.length, bytes - sent)));
        if (n === 0) break;
        sent += n;
      }
    };
    ep.handler = (ev) => {
      if (ev.type === 'established' || ev.type === 'writable') pump();
    };
    const start = performance.now();
    const simStart = p.clock.now();
    while (received < bytes && p.clock.now() - simStart < simLimit) {
      const next = p.clock.now() + 1000;
      p.clock.runUntil(next);
      pump();
    }
    void receiver;
    return { wallMs: performance.now() - start, simUs: p.clock.now() - simStart, received };
  }

  /** 1-byte request, 1-byte response, one connection, as fast as the CPU allows in virtual time. */
  function pingPong(n: number): number {
    const p = pair(1500);
    const l = p.b.tcpListen({ port: 7, addr: build.parseAddress('0.0.0.0')! });
    l.onConnection = (ep) => {
      ep.setNoDelay(true);
      ep.handler = (ev) => {
        if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) ep.send(d);
      };
    };
    const one = new Uint8Array([1]);
    let done = 0;
    const c = p.a.tcpConnect({ remoteAddr: build.parseAddress('10.0.0.2')!, remotePort: 7 });
    c.setNoDelay(true);
    c.handler = (ev) => {
      if (ev.type === 'established') c.send(one);
      if (ev.type === 'readable') {
        for (let d = c.read(); d !== null; d = c.read()) done += d.length;
        if (done < n) c.send(one);
      }
    };
    const start = performance.now();
    while (done < n) p.clock.runUntil(p.clock.now() + 1000);
    return (n / (performance.now() - start)) * 1000;
  }

  /**
   * Connect, send a request, read the answer, close; repeated. Returns the
   * rate by the wall clock, and the process's CPU time per connection (all
   * its threads, the collector's included): a slow spell of a shared machine
   * lowers the first and leaves the second.
   */
  function connectRate(n: number): { rate: number; cpuUs: number } {
    const p = pair(1500);
    const l = p.b.tcpListen({ port: 80, addr: build.parseAddress('0.0.0.0')!, backlog: 4096 });
    l.onConnection = (ep) => {
      ep.handler = (ev) => {
        if (ev.type === 'readable') {
          while (ep.read() !== null);
          ep.send(new Uint8Array(64));
          ep.close();
        }
      };
    };
    let finished = 0;
    const req = new Uint8Array(64);
    const server = build.parseAddress('10.0.0.2')!;
    let active = 0;
    const open = (): void => {
      active++;
      const c = p.a.tcpConnect({ remoteAddr: server, remotePort: 80 });
      c.handler = (ev) => {
        if (ev.type === 'established') c.send(req);
        if (ev.type === 'readable') while (c.read() !== null);
        if (ev.type === 'eof') c.close();
        if (ev.type === 'closed' || ev.type === 'error') {
          active--;
          finished++;
        }
      };
    };
    let opened = 0;
    const start = performance.now();
    const cpu = process.cpuUsage();
    while (finished < n) {
      while (active < 64 && opened < n) {
        open();
        opened++;
      }
      p.clock.runUntil(p.clock.now() + 100);
    }
    const used = process.cpuUsage(cpu);
    return { rate: (n / (performance.now() - start)) * 1000, cpuUs: (used.user + used.system) / n };
  }

  return { pair, transfer, pingPong, connectRate };
}
