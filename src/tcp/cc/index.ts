import type { CongestionControl, CongestionControlName, CongestionControlOptions } from './types.js';
import { NewReno } from './newreno.js';
import { Cubic } from './cubic.js';

export type { AckSample, CongestionControl, CongestionControlName, CongestionControlOptions } from './types.js';
export { HyStartPlusPlus } from './hystart.js';
export { NewReno } from './newreno.js';
export { Cubic, CUBIC_C, CUBIC_BETA } from './cubic.js';

/** A fresh algorithm instance by name. */
export function createCongestionControl(name: CongestionControlName, mss: number, initialWindow: number, opts: CongestionControlOptions = {}): CongestionControl {
  const hystart = opts.hystart === true;
  return name === 'newreno' ? new NewReno(mss, initialWindow, hystart) : new Cubic(mss, initialWindow, hystart);
}
