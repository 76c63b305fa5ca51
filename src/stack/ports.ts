// Ephemeral port selection: RFC 6056 §3.3.4, algorithm 4 ("double-hash
// port selection"). For each destination (local address, remote address,
// remote port) F gives a secret starting offset into the ephemeral range,
// and a small table of counters, indexed by a second hash G, makes
// successive connections to that destination walk on from there. Ports are
// unpredictable to an off-path attacker, yet a destination does not see a
// recently used port again soon (which would collide with TIME_WAIT there).

import { HashInput, hashKeyFromBytes, type HashKey } from './hash.js';
import { randomBytes, type RandomSource } from './random.js';

/** Linux's default net.ipv4.ip_local_port_range. */
export const DEFAULT_EPHEMERAL_RANGE: Readonly<[number, number]> = [32768, 60999];

/** RFC 6056 §3.3.4 suggests a table of a few hundred to a few thousand counters. */
const TABLE_LENGTH = 256;

export class PortAllocator {
  readonly min: number;
  readonly max: number;
  private readonly key1: HashKey;
  private readonly key2: HashKey;
  private readonly table = new Uint16Array(TABLE_LENGTH);
  private readonly input = new HashInput();

  constructor(rng: RandomSource, range: readonly [number, number] = DEFAULT_EPHEMERAL_RANGE) {
    const [min, max] = range;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new RangeError(`ephemeral port range must be integers with 1 <= min <= max <= 65535, got ${min}..${max}`);
    }
    this.min = min;
    this.max = max;
    this.key1 = hashKeyFromBytes(randomBytes(rng, 8));
    this.key2 = hashKeyFromBytes(randomBytes(rng, 8));
    // RFC 6056 §3.3.4: the table starts out random.
    for (let i = 0; i < TABLE_LENGTH; i++) this.table[i] = rng.uint32();
  }

  /**
   * A port in [min, max] that `suitable` accepts, for a connection from
   * `localAddr` to `remoteAddr`:`remotePort` (both may be empty arrays when
   * unknown, as for a UDP bind), or undefined when every port is taken.
   */
  select(
    localAddr: Uint8Array,
    remoteAddr: Uint8Array,
    remotePort: number,
    suitable: (port: number) => boolean,
  ): number | undefined {
    const num = this.max - this.min + 1;
    const offset = this.input.reset().bytes(localAddr).bytes(remoteAddr).u16(remotePort).hash(this.key1);
    const index = this.input.hash(this.key2) % TABLE_LENGTH;
    for (let count = num; count > 0; count--) {
      const port = this.min + ((offset + this.table[index]!) % num);
      this.table[index] = this.table[index]! + 1;
      if (suitable(port)) return port;
    }
    return undefined;
  }
}
