// The stack's connections by 4-tuple, looked up once for nearly every
// segment that arrives.
//
// IPv4 tuples are three 32-bit words (local address, remote address, both
// ports), kept in an open-addressing table of typed arrays: a lookup hashes
// the words read from the packet and compares words in one array, without
// building a key string or touching the endpoint. IPv6 tuples are keyed by
// their string form in a Map.
//
// Either way the index holds only numbers (and IPv6 key strings); the
// endpoints sit in `slots`, whose slot is cleared when a connection goes.
// A plain Map<string, TcpEndpoint> under constant churn (every connection
// added and deleted once) rebuilds its hash table every few hundred
// changes, and V8 leaves the old table with its entries behind,
// unreachable but not freed until the next full collection. Until then the
// young-generation collector treats that table as live, so every endpoint
// it held (and its whole connection) survives and is promoted: in a
// connect+request+close loop nearly every connection was, about 4 KB each,
// and scavenges took 4-11 ms every 30 ms.
//
// The hash is seeded per table, so a peer who picks its addresses and
// ports cannot aim them at one probe run without knowing the seed.

import type { FourTuple } from '../tcp/types.js';
import { tupleKey } from './addr.js';

export interface TupleKeyed {
  readonly tuple: FourTuple;
}

const MIN_CAPACITY = 64;

function word(a: Uint8Array): number {
  return (a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!;
}

function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint32Array): Uint32Array } }).crypto;
  if (c?.getRandomValues === undefined) return 0x2545f491;
  return c.getRandomValues(new Uint32Array(1))[0]!;
}

export class TupleTable<T extends TupleKeyed> {
  /** Power of two; at most half full. */
  private capacity = MIN_CAPACITY;
  /** Three words per bucket: local address, remote address, (local port << 16) | remote port. */
  private words = new Int32Array(MIN_CAPACITY * 3);
  /** Per bucket: its slot + 1, or 0 when the bucket is empty. */
  private buckets = new Int32Array(MIN_CAPACITY);
  private count4 = 0;
  private readonly v6 = new Map<string, number>();
  private readonly slots: Array<T | undefined> = [];
  /** When each slot's item was added, for values() in that order. */
  private readonly added: number[] = [];
  private addedSeq = 0;
  /** Cleared slots, reused before the array grows. */
  private readonly free: number[] = [];
  private readonly seed = randomSeed();

  get size(): number {
    return this.count4 + this.v6.size;
  }

  private hash(l: number, r: number, p: number): number {
    let h = Math.imul(l ^ this.seed, 0xcc9e2d51);
    h = Math.imul(h ^ (h >>> 15) ^ r, 0x1b873593);
    h = Math.imul(h ^ (h >>> 13) ^ p, 0x85ebca6b);
    return h ^ (h >>> 16);
  }

  /** The bucket holding the words, or -1. */
  private find(l: number, r: number, p: number): number {
    const mask = this.capacity - 1;
    const w = this.words;
    const b = this.buckets;
    for (let i = this.hash(l, r, p) & mask; ; i = (i + 1) & mask) {
      if (b[i] === 0) return -1;
      const j = i * 3;
      if (w[j] === l && w[j + 1] === r && w[j + 2] === p) return i;
    }
  }

  get(localAddr: Uint8Array, localPort: number, remoteAddr: Uint8Array, remotePort: number): T | undefined {
    if (localAddr.length === 4 && remoteAddr.length === 4) {
      const i = this.find(word(localAddr), word(remoteAddr), (localPort << 16) | remotePort);
      return i < 0 ? undefined : this.slots[this.buckets[i]! - 1];
    }
    const s = this.v6.get(tupleKey(localAddr, localPort, remoteAddr, remotePort));
    return s === undefined ? undefined : this.slots[s];
  }

  /** Add `item` under its tuple; an item already there is replaced. */
  set(item: T): void {
    const t = item.tuple;
    const old = this.get(t.localAddr, t.localPort, t.remoteAddr, t.remotePort);
    if (old !== undefined) this.delete(old);
    const slot = this.free.pop() ?? this.slots.length;
    this.slots[slot] = item;
    this.added[slot] = this.addedSeq++;
    if (t.localAddr.length === 4 && t.remoteAddr.length === 4) {
      if (2 * (this.count4 + 1) > this.capacity) this.grow();
      this.insert(word(t.localAddr), word(t.remoteAddr), (t.localPort << 16) | t.remotePort, slot + 1);
      this.count4++;
    } else {
      this.v6.set(tupleKey(t.localAddr, t.localPort, t.remoteAddr, t.remotePort), slot);
    }
  }

  private insert(l: number, r: number, p: number, v: number): void {
    const mask = this.capacity - 1;
    let i = this.hash(l, r, p) & mask;
    while (this.buckets[i] !== 0) i = (i + 1) & mask;
    const j = i * 3;
    this.words[j] = l;
    this.words[j + 1] = r;
    this.words[j + 2] = p;
    this.buckets[i] = v;
  }

  private grow(): void {
    const oldWords = this.words;
    const oldBuckets = this.buckets;
    this.capacity *= 2;
    this.words = new Int32Array(this.capacity * 3);
    this.buckets = new Int32Array(this.capacity);
    for (let i = 0; i < oldBuckets.length; i++) {
      const v = oldBuckets[i]!;
      if (v !== 0) this.insert(oldWords[i * 3]!, oldWords[i * 3 + 1]!, oldWords[i * 3 + 2]!, v);
    }
  }

  /** Remove `item` (not another item under its tuple); whether it was there. */
  delete(item: T): boolean {
    const t = item.tuple;
    let slot: number;
    if (t.localAddr.length === 4 && t.remoteAddr.length === 4) {
      const i = this.find(word(t.localAddr), word(t.remoteAddr), (t.localPort << 16) | t.remotePort);
      if (i < 0) return false;
      slot = this.buckets[i]! - 1;
      if (this.slots[slot] !== item) return false;
      this.removeBucket(i);
      this.count4--;
    } else {
      const key = tupleKey(t.localAddr, t.localPort, t.remoteAddr, t.remotePort);
      const s = this.v6.get(key);
      if (s === undefined || this.slots[s] !== item) return false;
      slot = s;
      this.v6.delete(key);
    }
    this.slots[slot] = undefined;
    this.free.push(slot);
    return true;
  }

  /**
   * Empty bucket `i` and move back the entries after it in its probe run
   * that would no longer be found (deletion without tombstones, for linear
   * probing).
   */
  private removeBucket(i: number): void {
    const mask = this.capacity - 1;
    const w = this.words;
    const b = this.buckets;
    let hole = i;
    for (let k = (i + 1) & mask; b[k] !== 0; k = (k + 1) & mask) {
      const j = k * 3;
      const home = this.hash(w[j]!, w[j + 1]!, w[j + 2]!) & mask;
      // The entry at k may fill the hole unless its home lies cyclically in (hole, k].
      const stays = hole <= k ? home > hole && home <= k : home > hole || home <= k;
      if (stays) continue;
      const h = hole * 3;
      w[h] = w[j]!;
      w[h + 1] = w[j + 1]!;
      w[h + 2] = w[j + 2]!;
      b[hole] = b[k]!;
      hole = k;
    }
    b[hole] = 0;
  }

  /** The items in the order they were added (as a Map's). */
  values(): IterableIterator<T> {
    const live: number[] = [];
    for (let s = 0; s < this.slots.length; s++) if (this.slots[s] !== undefined) live.push(s);
    live.sort((x, y) => this.added[x]! - this.added[y]!);
    const items = live.map((s) => this.slots[s]!);
    return items[Symbol.iterator]();
  }
}
