// Devices that deliver in the same call: a packet sent by one stack is
// received by the other before `send` returns, so the receive path runs
// again while it is already running (the stack's one header view is then
// in use) and pooled segments are taken while others are being written.
// Nothing may be lost, duplicated or mixed up.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { Stack } from '../../src/stack/stack.js';
import { parseAddress } from '../../src/stack/addr.js';
import { TcpConnection, recycleSegment } from '../../src/tcp/connection.js';
import type { NetDevice } from '../../src/link/device.js';
import type { Segment } from '../../src/wire/tcp-types.js';

class SyncDevice implements NetDevice {
  readonly mtu = 1500;
  peer: SyncDevice | null = null;
  onReceive: ((packet: Uint8Array, checksumValid?: boolean) => void) | null = null;
  sent = 0;
  send(packet: Uint8Array): void {
    this.sent++;
    this.peer?.onReceive?.(packet);
  }
  close(): void {
    this.peer = null;
  }
}

test('two stacks joined by devices that deliver at once move 256 KB each way intact', () => {
  const clock = new VirtualClock();
  const rng = new Rng(3);
  const da = new SyncDevice();
  const db = new SyncDevice();
  da.peer = db;
  db.peer = da;
  const a = new Stack({ clock, random: rng.fork('a') });
  const b = new Stack({ clock, random: rng.fork('b') });
  a.addInterface({ device: da, addresses: '10.0.0.1/24' });
  b.addInterface({ device: db, addresses: '10.0.0.2/24' });

  const size = 256 * 1024;
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + (i >>> 9)) & 0xff;

  // b echoes what it reads; a sends everything and keeps what comes back.
  const l = b.tcpListen({ port: 7 });
  l.onConnection = (ep) => {
    const pending: Uint8Array[] = [];
    let eof = false;
    ep.handler = (ev) => {
      if (ev.type === 'readable') for (let d = ep.read(); d !== null; d = ep.read()) pending.push(d.slice());
      if (ev.type === 'eof') eof = true;
      while (pending.length > 0) {
        const n = ep.send(pending[0]!);
        if (n < pending[0]!.length) {
          pending[0] = pending[0]!.subarray(n);
          break;
        }
        pending.shift();
      }
      if (eof && pending.length === 0) ep.close();
    };
  };
  const back: Uint8Array[] = [];
  let sent = 0;
  let closed = false;
  const c = a.tcpConnect({ remoteAddr: parseAddress('10.0.0.2')!, remotePort: 7 });
  const pump = (): void => {
    while (sent < size) {
      const n = c.send(data.subarray(sent, Math.min(size, sent + 8192)));
      if (n === 0) return;
      sent += n;
    }
  };
  c.handler = (ev) => {
    if (ev.type === 'established' || ev.type === 'writable') pump();
    if (ev.type === 'readable') for (let d = c.read(); d !== null; d = c.read()) back.push(d.slice());
    if (ev.type === 'closed') closed = true;
  };
  for (let i = 0; i < 2000 && back.reduce((s, x) => s + x.length, 0) < size; i++) {
    clock.runUntil(clock.now() + 10_000);
    pump();
  }
  const got = new Uint8Array(back.reduce((s, x) => s + x.length, 0));
  let o = 0;
  for (const x of back) {
    got.set(x, o);
    o += x.length;
  }
  assert.equal(got.length, size);
  assert.deepEqual(got, data);
  assert.equal(a.stats.drops.malformed + b.stats.drops.malformed, 0);
  assert.equal(a.stats.tcpRetransmits + b.stats.tcpRetransmits, 0, 'nothing lost on a lossless wire');
  c.shutdown();
  clock.runUntil(clock.now() + 200_000_000);
  assert.ok(closed);
  assert.ok(da.sent > 100 && db.sent > 100);
});

test('segments from pollTransmit stay intact while a driver keeps them, and pooled ones are reused once given back', () => {
  const tuple = { localAddr: Uint8Array.of(10, 0, 0, 1), localPort: 1000, remoteAddr: Uint8Array.of(10, 0, 0, 2), remotePort: 80 };
  const conn = TcpConnection.openActive({ config: new Stack({ clock: new VirtualClock() }).tcpConfig, tuple, iss: 1000, now: 0, mss: 1460 });
  const syn = conn.pollTransmit();
  assert.ok(syn !== undefined);
  const synCopy = { ...syn, options: [...syn.options] };
  // The SYN-ACK: established, then ten segments of data without recycling.
  const synAck: Segment = {
    srcPort: 80,
    dstPort: 1000,
    seq: 5000,
    ack: 1001,
    flags: 0x12,
    window: 65535,
    urgent: 0,
    options: [{ kind: 'mss', mss: 1460 }, { kind: 'nop' }, { kind: 'nop' }, { kind: 'sackOK' }, { kind: 'timestamp', val: 7, ecr: 0 }],
    payload: new Uint8Array(0),
  };
  conn.onSegment(synAck, 1000);
  conn.send(new Uint8Array(14_600).fill(9), 1000);
  const objects: Segment[] = [];
  const copies: Segment[] = [];
  for (let s = conn.pollTransmit(); s !== undefined; s = conn.pollTransmit()) {
    objects.push(s);
    copies.push({ ...s, options: [...s.options] });
  }
  assert.ok(objects.length >= 10, `${objects.length} segments`);
  assert.equal(new Set(objects).size, objects.length, 'no object handed out twice');
  assert.deepEqual({ ...syn, options: [...syn.options] }, synCopy);
  for (let i = 0; i < objects.length; i++) assert.deepEqual({ ...objects[i]!, options: [...objects[i]!.options] }, copies[i]);
  // Given back, an object serves a later segment.
  recycleSegment(objects[0]!);
  conn.send(new Uint8Array(100), 2000);
  conn.onSegment({ ...synAck, seq: 5001, flags: 0x10, options: [{ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', val: 8, ecr: 1 }], ack: 1001 + 14_600 }, 3000);
  const later: Segment[] = [];
  for (let s = conn.pollTransmit(); s !== undefined; s = conn.pollTransmit()) later.push(s);
  assert.ok(later.includes(objects[0]!), 'the recycled object is reused');
});
