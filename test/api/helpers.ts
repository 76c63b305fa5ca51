// Two NetStacks over a simulated link, and a pump that drives virtual time
// from the real event loop for tests where Node's own machinery (http,
// streams) runs between packets.
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair, type LinkPair, type LinkPairOptions } from '../../src/sim/device.js';
import { NetStack } from '../../src/api/net.js';
import type { StackOptions } from '../../src/stack/stack.js';

export const A4 = '10.0.0.1';
export const B4 = '10.0.0.2';
export const A6 = 'fd00::1';
export const B6 = 'fd00::2';

export interface NetPair {
  clock: VirtualClock;
  a: NetStack;
  b: NetStack;
  link: LinkPair;
}

export function makeNetPair(opts: LinkPairOptions & { seed?: number; stack?: Partial<StackOptions> } = {}): NetPair {
  const clock = new VirtualClock();
  const rng = new Rng(opts.seed ?? 1);
  const link = createLinkPair(clock, rng.fork('link'), opts);
  const a = new NetStack({ clock, random: rng.fork('a'), ...opts.stack });
  const b = new NetStack({ clock, random: rng.fork('b'), ...opts.stack });
  a.addInterface({ device: link.a, addresses: [`${A4}/24`, `${A6}/64`], name: 'eth0' });
  b.addInterface({ device: link.b, addresses: [`${B4}/24`, `${B6}/64`], name: 'eth0' });
  return { clock, a, b, link };
}

/**
 * Run the virtual clock from the real event loop: at every turn
 * (setImmediate, after Node's pending callbacks), run the events of the
 * next instant. Virtual time thus moves as fast as the work allows and
 * never ahead of what the program has yet to do in this turn. Returns a
 * function that stops the pump.
 */
export function startPump(clock: VirtualClock): () => void {
  let stopped = false;
  const turn = (): void => {
    if (stopped) return;
    const t = clock.nextEventTime();
    if (t !== undefined) clock.runUntil(t);
    setImmediate(turn);
  };
  setImmediate(turn);
  return () => {
    stopped = true;
  };
}

/** Resolve on `event` of `emitter`, reject on its 'error'. */
export function once<T = unknown>(emitter: NodeJS.EventEmitter, event: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onErr = (e: Error): void => {
      emitter.off(event, onEv);
      reject(e);
    };
    const onEv = (v: T): void => {
      emitter.off('error', onErr);
      resolve(v);
    };
    emitter.once(event, onEv);
    if (event !== 'error') emitter.once('error', onErr);
  });
}
