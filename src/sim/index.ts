// The deterministic network simulator: virtual time, seeded randomness,
// impaired links, simulated devices and capture taps.

export { VirtualClock, DEFAULT_MAX_EVENTS, DEFAULT_MAX_EVENTS_PER_INSTANT, type VirtualClockOptions } from './virtual-clock.js';
export { Rng } from './rng.js';
export { Link, type LinkOptions, type LinkStats, type LinkEvent, type DropReason, type PacketPredicate } from './link.js';
export {
  SimDevice,
  createLinkPair,
  DEFAULT_SIM_MTU,
  type SimDeviceStats,
  type LinkPairOptions,
  type LinkPair,
} from './device.js';
export { Tap, type TapOptions, type TapRecord, type TapPoint } from './tap.js';
