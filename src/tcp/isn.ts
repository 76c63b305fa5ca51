// Initial sequence numbers (RFC 6528 §3): ISN = M + F(localip, localport,
// remoteip, remoteport, secretkey), where M is a timer ticking every 4
// microseconds and F a keyed hash, so that ISNs of one 4-tuple grow with
// time (RFC 9293 §3.4.1) while different 4-tuples cannot be predicted from
// one another.

import { createHmac } from 'node:crypto';
import type { FourTuple } from './types.js';

const TWO_32 = 0x1_0000_0000;

export class IsnGenerator {
  private readonly secret: Uint8Array;

  /** `secret` is the RFC 6528 secretkey; keep it for the life of the stack. */
  constructor(secret: Uint8Array) {
    if (secret.length === 0) throw new RangeError('ISN secret must not be empty');
    this.secret = Uint8Array.from(secret);
  }

  /** The ISN for a connection on `tuple` opened at `now` (µs). */
  isn(tuple: FourTuple, now: number): number {
    // RFC 6528 §3: M is a 4 µs timer.
    const m = Math.floor(now / 4) % TWO_32;
    return (m + this.hash(tuple)) >>> 0;
  }

  /** F(): the first 32 bits of HMAC-SHA-256 over the 4-tuple. */
  hash(tuple: FourTuple): number {
    const ports = new Uint8Array(4);
    ports[0] = (tuple.localPort >>> 8) & 0xff;
    ports[1] = tuple.localPort & 0xff;
    ports[2] = (tuple.remotePort >>> 8) & 0xff;
    ports[3] = tuple.remotePort & 0xff;
    const h = createHmac('sha256', this.secret);
    h.update(tuple.localAddr);
    h.update(ports.subarray(0, 2));
    h.update(tuple.remoteAddr);
    h.update(ports.subarray(2, 4));
    const d = h.digest();
    return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
  }
}
