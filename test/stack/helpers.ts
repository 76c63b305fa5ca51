// Two stacks joined by a simulated point-to-point link, for the stack and API tests.
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { Rng } from '../../src/sim/rng.js';
import { createLinkPair, type LinkPair, type LinkPairOptions, type SimDevice } from '../../src/sim/device.js';
import type { NetDevice } from '../../src/link/device.js';
import { Stack, type StackOptions } from '../../src/stack/stack.js';

export const A4 = '10.0.0.1';
export const B4 = '10.0.0.2';
export const A6 = 'fd00::1';
export const B6 = 'fd00::2';

export interface Pair {
  clock: VirtualClock;
  a: Stack;
  b: Stack;
  link: LinkPair;
}

/** `wrap`: what each stack's interface sees of its end of the link (default: the SimDevice itself). */
export function makePair(opts: LinkPairOptions & { seed?: number; stack?: Partial<StackOptions>; wrap?: (dev: SimDevice) => NetDevice } = {}): Pair {
  const clock = new VirtualClock();
  const rng = new Rng(opts.seed ?? 1);
  const link = createLinkPair(clock, rng.fork('link'), opts);
  const a = new Stack({ clock, random: rng.fork('a'), ...opts.stack });
  const b = new Stack({ clock, random: rng.fork('b'), ...opts.stack });
  const wrap = opts.wrap ?? ((dev: SimDevice): NetDevice => dev);
  a.addInterface({ device: wrap(link.a), addresses: [`${A4}/24`, `${A6}/64`], name: 'eth0' });
  b.addInterface({ device: wrap(link.b), addresses: [`${B4}/24`, `${B6}/64`], name: 'eth0' });
  return { clock, a, b, link };
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}
