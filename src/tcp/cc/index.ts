import type { CongestionControl, CongestionControlName } from './types.js';
import { NewReno } from './newreno.js';
import { Cubic } from './cubic.js';

export type { CongestionControl, CongestionControlName } from './types.js';
export { NewReno } from './newreno.js';
export { Cubic, CUBIC_C, CUBIC_BETA } from './cubic.js';

/** A fresh algorithm instance by name. */
export function createCongestionControl(name: CongestionControlName, mss: number, initialWindow: number): CongestionControl {
  return name === 'newreno' ? new NewReno(mss, initialWindow) : new Cubic(mss, initialWindow);
}
