// The production clock. No timing assertions beyond ordering and "not
// early" (timing belongs in benchmarks).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RealClock } from '../../src/stack/real-clock.js';
import { Stack } from '../../src/stack/stack.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair } from '../../src/sim/device.js';

test('RealClock: monotonic microseconds; timers never fire early; cancel works', async () => {
  const clock = new RealClock();
  const t0 = clock.now();
  assert.ok(Number.isInteger(t0));
  const fired: Array<[string, number, number]> = [];
  const done = new Promise<void>((resolve) => {
    clock.setTimer(t0 + 3000, () => fired.push(['b', t0 + 3000, clock.now()]));
    clock.setTimer(t0 + 1000, () => fired.push(['a', t0 + 1000, clock.now()]));
    clock.setTimer(t0 + 6000, () => resolve());
  });
  const cancelled = clock.setTimer(t0 + 2000, () => fired.push(['x', 0, 0]));
  cancelled.cancel();
  await done;
  assert.deepEqual(
    fired.map((f) => f[0]),
    ['a', 'b'],
  );
  for (const [, due, at] of fired) assert.ok(at >= due, `fired at ${at}, due ${due}`);
  assert.ok(clock.now() >= t0);
});

test('RealClock: timers fire in the order of their deadlines, however close and however set', async () => {
  const clock = new RealClock();
  const t0 = clock.now();
  // Deadlines 100 µs apart, within a few host milliseconds, set shuffled;
  // one is cancelled by an earlier one's callback.
  const order = [7, 2, 11, 0, 5, 9, 1, 13, 4, 12, 8, 3, 10, 6];
  const fired: number[] = [];
  let seven: { cancel(): void } | undefined;
  await new Promise<void>((resolve) => {
    for (const i of order) {
      const h = clock.setTimer(t0 + 1000 + 100 * i, () => {
        fired.push(i);
        if (i === 3) seven?.cancel();
        if (i === 13) resolve();
      });
      if (i === 7) seven = h;
    }
  });
  assert.deepEqual(fired, [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13]);
});

test('two stacks on the real clock: a ping and a TCP exchange', async () => {
  const clock = new RealClock();
  const rng = new Rng(5);
  const link = createLinkPair(clock, rng.fork('l'), { ab: { delay: 200 }, ba: { delay: 200 } });
  const a = new Stack({ clock });
  const b = new Stack({ clock });
  a.addInterface({ device: link.a, addresses: '10.0.0.1/24' });
  b.addInterface({ device: link.b, addresses: '10.0.0.2/24' });
  const reply = await a.ping('10.0.0.2');
  assert.ok(reply.rtt >= 400, `rtt ${reply.rtt} µs covers both link delays`);
  const got = await new Promise<string>((resolve) => {
    b.tcpListen({ port: 7 }).onConnection = (ep) =>
      ep.setHandler((ev) => {
        if (ev.type === 'readable') resolve(new TextDecoder().decode(ep.read()!));
      });
    const ep = a.tcpConnect({ remoteAddr: Uint8Array.of(10, 0, 0, 2), remotePort: 7 });
    ep.send(new TextEncoder().encode('over real time'));
  });
  assert.equal(got, 'over real time');
  a.close();
  b.close();
});
