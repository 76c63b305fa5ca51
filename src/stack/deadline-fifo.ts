// Deadlines that never come earlier than the last one queued, in a FIFO.
//
// Every connection's TIME-WAIT lasts the same 2·MSL, so the waits end in
// the order they began. In the stack's timer heap each of them was sifted
// through all the others: a busy server holds tens of thousands, each
// further than the connections still at work, and a new connection (whose
// first deadline is nearer than all of them) was sifted up past them too.
// Here a wait goes in at the tail and comes out at the head, O(1) either way.
//
// Each entry is numbered as it is queued, and an item names the one entry
// of it that counts (`queued`). Queueing it again for a later deadline, or
// setting `queued` to -1 (the stack moved it to the heap, or it closed),
// leaves the old entry behind: stale, it is dropped when it reaches the
// head.

/** Something the queue can hold; `queued` is the queue's to manage (-1 when not queued). */
export interface FifoEntry {
  queued: number;
}

/** Entries past the head before the live ones are moved to the front. */
const COMPACT_AFTER = 1024;

export class DeadlineFifo<T extends FifoEntry> {
  /** Entries [head, end): items[i] is due at at[i], nondecreasing; slots outside hold null. */
  private items: Array<T | null> = [];
  private at: number[] = [];
  private head = 0;
  private end = 0;
  /** The number of the entry in items[0]: entry i of the arrays is number base + i. */
  private base = 0;

  /** Entries held, stale ones included. */
  get length(): number {
    return this.end - this.head;
  }

  /** Whether `deadline` may be queued: no earlier than the last deadline queued. */
  accepts(deadline: number): boolean {
    return this.end === this.head || deadline >= this.at[this.end - 1]!;
  }

  /** Queue `item` for `deadline`, which accepts() must allow. Already queued for it: nothing to do. */
  push(item: T, deadline: number): void {
    const i = item.queued - this.base;
    if (i >= this.head && i < this.end && this.items[i] === item && this.at[i] === deadline) return;
    if (!this.accepts(deadline)) throw new RangeError(`deadline ${deadline} before the last one queued, ${this.at[this.end - 1]}`);
    item.queued = this.base + this.end;
    this.items[this.end] = item;
    this.at[this.end] = deadline;
    this.end++;
  }

  /** The earliest deadline of an item still queued, or Infinity. */
  get earliest(): number {
    this.dropStale();
    return this.head < this.end ? this.at[this.head]! : Infinity;
  }

  /** Remove and return the first item queued for `now` or earlier. */
  popDue(now: number): T | undefined {
    this.dropStale();
    if (this.head === this.end || this.at[this.head]! > now) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head++] = null;
    item.queued = -1;
    this.tidy();
    return item;
  }

  private dropStale(): void {
    while (this.head < this.end) {
      if (this.items[this.head]!.queued === this.base + this.head) return;
      this.items[this.head++] = null;
    }
    this.tidy();
  }

  /** Start again from the front when empty; move the live entries there when the head is far in. */
  private tidy(): void {
    if (this.head === this.end) {
      this.base += this.end;
      this.head = this.end = 0;
      return;
    }
    if (this.head > COMPACT_AFTER && this.head * 2 > this.end) {
      const n = this.end - this.head;
      this.items.copyWithin(0, this.head, this.end);
      this.at.copyWithin(0, this.head, this.end);
      this.items.fill(null, n, this.end);
      this.base += this.head;
      this.head = 0;
      this.end = n;
    }
  }
}
