import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../src/sim/virtual-clock.js';

test('starts at the origin and stays there until run', () => {
  assert.equal(new VirtualClock().now(), 0);
  const c = new VirtualClock(5_000_000);
  assert.equal(c.now(), 5_000_000);
  c.setTimer(5_000_010, () => {});
  assert.equal(c.now(), 5_000_000);
  assert.equal(c.pending, 1);
});

test('timers fire in time order, and in insertion order at equal times', () => {
  const c = new VirtualClock();
  const log: string[] = [];
  c.setTimer(30, () => log.push('c30'));
  c.setTimer(10, () => log.push('a10'));
  c.setTimer(20, () => log.push('b20-1'));
  c.setTimer(20, () => log.push('b20-2'));
  c.setTimer(10, () => log.push('a10-2'));
  c.setTimer(20, () => log.push('b20-3'));
  c.runUntilIdle();
  assert.deepEqual(log, ['a10', 'a10-2', 'b20-1', 'b20-2', 'b20-3', 'c30']);
  assert.equal(c.now(), 30);
});

test('property: firing order is the stable sort of the timers by time', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (times) => {
      const c = new VirtualClock();
      const fired: number[] = [];
      times.forEach((t, i) => c.setTimer(t, () => fired.push(i)));
      c.runUntilIdle();
      const expected = times.map((t, i) => ({ t, i })).sort((x, y) => x.t - y.t || x.i - y.i).map((x) => x.i);
      assert.deepEqual(fired, expected);
    }),
  );
});

test('the clock reads the timer time inside its callback', () => {
  const c = new VirtualClock(100);
  const seen: number[] = [];
  c.setTimer(250, () => seen.push(c.now()));
  c.setTimer(1000, () => seen.push(c.now()));
  c.runUntilIdle();
  assert.deepEqual(seen, [250, 1000]);
});

test('a time in the past runs at now, after timers already due now', () => {
  const c = new VirtualClock();
  const log: string[] = [];
  c.setTimer(100, () => {
    c.setTimer(40, () => log.push(`past@${c.now()}`));
    log.push('first');
  });
  c.setTimer(100, () => log.push('second'));
  c.runUntilIdle();
  assert.deepEqual(log, ['first', 'second', 'past@100']);
});

test('cancel: a cancelled timer never fires; cancelling twice or after firing is harmless', () => {
  const c = new VirtualClock();
  const log: number[] = [];
  const h1 = c.setTimer(10, () => log.push(1));
  const h2 = c.setTimer(20, () => log.push(2));
  c.setTimer(30, () => log.push(3));
  assert.equal(c.pending, 3);
  h2.cancel();
  h2.cancel();
  assert.equal(c.pending, 2);
  c.runUntil(15);
  assert.deepEqual(log, [1]);
  h1.cancel();
  assert.equal(c.pending, 1);
  c.runUntilIdle();
  assert.deepEqual(log, [1, 3]);
  assert.equal(c.pending, 0);
});

test('a callback may cancel a later timer due at the same instant', () => {
  const c = new VirtualClock();
  const log: string[] = [];
  let h = { cancel: () => {} };
  c.setTimer(10, () => {
    log.push('a');
    h.cancel();
  });
  h = c.setTimer(10, () => log.push('b'));
  c.runUntilIdle();
  assert.deepEqual(log, ['a']);
});

test('many cancellations (re-armed timers) leave the right timers, in order', () => {
  const c = new VirtualClock();
  const fired: number[] = [];
  const expected: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const t = (i * 7919) % 1000;
    const h = c.setTimer(t, () => fired.push(i));
    if (i % 3 !== 0) h.cancel();
    else expected.push(i);
  }
  assert.equal(c.pending, expected.length);
  assert.equal(c.nextEventTime(), 0);
  c.runUntilIdle();
  const byTime = expected.map((i) => ({ i, t: (i * 7919) % 1000 })).sort((x, y) => x.t - y.t || x.i - y.i).map((x) => x.i);
  assert.deepEqual(fired, byTime);
});

test('nextEventTime skips cancelled timers and is undefined when idle', () => {
  const c = new VirtualClock();
  assert.equal(c.nextEventTime(), undefined);
  const h = c.setTimer(5, () => {});
  c.setTimer(9, () => {});
  h.cancel();
  assert.equal(c.nextEventTime(), 9);
});

test('runUntil runs timers due at exactly t, not those after, and leaves the clock at t', () => {
  const c = new VirtualClock();
  const log: number[] = [];
  c.setTimer(999, () => log.push(999));
  c.setTimer(1000, () => log.push(1000));
  c.setTimer(1001, () => log.push(1001));
  assert.equal(c.runUntil(1000), 2);
  assert.deepEqual(log, [999, 1000]);
  assert.equal(c.now(), 1000);
  assert.equal(c.pending, 1);
  c.runUntil(1000);
  assert.deepEqual(log, [999, 1000]);
  c.runUntil(1001);
  assert.deepEqual(log, [999, 1000, 1001]);
});

test('runUntil also runs timers set by callbacks inside the window', () => {
  const c = new VirtualClock();
  const log: number[] = [];
  c.setTimer(10, () => {
    log.push(c.now());
    c.setTimer(50, () => log.push(c.now()));
    c.setTimer(101, () => log.push(c.now()));
  });
  c.runUntil(100);
  assert.deepEqual(log, [10, 50]);
  assert.equal(c.now(), 100);
});

test('runUntil moves the clock even with nothing to run; going backwards is refused', () => {
  const c = new VirtualClock();
  assert.equal(c.runUntil(500), 0);
  assert.equal(c.now(), 500);
  assert.throws(() => c.runUntil(499), RangeError);
  assert.throws(() => c.runUntil(Number.NaN), RangeError);
  assert.equal(c.now(), 500);
});

test('runFor advances by a duration', () => {
  const c = new VirtualClock(1000);
  const log: number[] = [];
  c.setTimer(1500, () => log.push(c.now()));
  c.runFor(499);
  assert.deepEqual(log, []);
  assert.equal(c.now(), 1499);
  c.runFor(1);
  assert.deepEqual(log, [1500]);
  assert.throws(() => c.runFor(-1), RangeError);
});

test('runUntilIdle stops when idle, at the last event time', () => {
  const c = new VirtualClock();
  let n = 0;
  const tick = (): void => {
    n++;
    if (n < 5) c.setTimer(c.now() + 200_000, tick);
  };
  c.setTimer(200_000, tick);
  assert.equal(c.runUntilIdle(), 5);
  assert.equal(c.now(), 1_000_000);
  assert.equal(c.pending, 0);
});

test('runUntilIdle with a limit stops there and leaves later timers pending', () => {
  const c = new VirtualClock();
  const fired: number[] = [];
  const every = (): void => {
    fired.push(c.now());
    c.setTimer(c.now() + 75_000_000, every); // keepalive-like: never idle
  };
  c.setTimer(75_000_000, every);
  c.runUntilIdle(300_000_000);
  assert.deepEqual(fired, [75_000_000, 150_000_000, 225_000_000, 300_000_000]);
  assert.equal(c.now(), 300_000_000);
  assert.equal(c.pending, 1);
  assert.throws(() => c.runUntilIdle(1), RangeError);
});

test('runUntilIdle throws a clear error when a timer re-arms itself forever', () => {
  const c = new VirtualClock();
  const again = (): void => {
    c.setTimer(c.now() + 1, again);
  };
  c.setTimer(0, again);
  assert.throws(() => c.runUntilIdle(undefined, 1000), (e: unknown) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /not idle after 1000 events/);
    return true;
  });
  assert.equal(c.now(), 999);
  // The clock is still usable afterwards.
  c.runUntilIdle(2000);
  assert.equal(c.now(), 2000);
});

test('a timer re-arming itself for the same instant is caught even by runUntil', () => {
  const c = new VirtualClock(0, { maxEventsPerInstant: 100 });
  const spin = (): void => {
    c.setTimer(c.now(), spin);
  };
  c.setTimer(7, spin);
  assert.throws(() => c.runUntil(10), /more than 100 events ran at 7 µs/);
});

test('step runs exactly one timer and reports when there is none', () => {
  const c = new VirtualClock();
  const log: number[] = [];
  c.setTimer(20, () => log.push(20));
  c.setTimer(10, () => log.push(10));
  assert.equal(c.step(), true);
  assert.deepEqual(log, [10]);
  assert.equal(c.now(), 10);
  assert.equal(c.step(), true);
  assert.equal(c.now(), 20);
  assert.equal(c.step(), false);
  assert.equal(c.now(), 20);
  assert.equal(c.eventsRun, 2);
});

test('running the clock from inside a callback is refused', () => {
  const c = new VirtualClock();
  let err: unknown;
  c.setTimer(1, () => {
    try {
      c.runUntil(5);
    } catch (e) {
      err = e;
    }
  });
  c.runUntilIdle();
  assert.ok(err instanceof Error);
  assert.match(err.message, /inside a timer callback/);
});

test('an exception in a callback propagates and leaves the clock usable', () => {
  const c = new VirtualClock();
  const log: number[] = [];
  c.setTimer(1, () => {
    throw new Error('boom');
  });
  c.setTimer(2, () => log.push(2));
  assert.throws(() => c.runUntilIdle(), /boom/);
  assert.equal(c.now(), 1);
  c.runUntilIdle();
  assert.deepEqual(log, [2]);
});

test('setTimer refuses NaN and infinity', () => {
  const c = new VirtualClock();
  assert.throws(() => c.setTimer(Number.NaN, () => {}), RangeError);
  assert.throws(() => c.setTimer(Number.POSITIVE_INFINITY, () => {}), RangeError);
});
