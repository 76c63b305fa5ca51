// One timer heap for the connections of a stack. Each entry carries its own
// position in the heap, so inserting, moving (a deadline that changed) and
// removing an entry are O(log n) with no search and no garbage: a
// connection that re-arms its retransmission timer on every ACK only sifts
// its entry, it never leaves a dead one behind.
//
// The heap itself never reads the clock; the stack arms one Clock timer for
// the earliest deadline of the heap and of its TIME-WAIT queue
// (deadline-fifo.ts), where the connections waiting out 2·MSL are kept.

/** Something with a deadline the heap can order. `heapIndex` is the heap's to manage (-1 when absent). */
export interface HeapEntry {
  deadline: number;
  heapIndex: number;
}

export class TimerHeap<T extends HeapEntry> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The entry with the earliest deadline, or undefined. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** The earliest deadline, or Infinity when empty. */
  get earliest(): number {
    const top = this.items[0];
    return top === undefined ? Infinity : top.deadline;
  }

  has(e: T): boolean {
    return e.heapIndex >= 0 && this.items[e.heapIndex] === e;
  }

  /**
   * Give `e` the deadline `at`: inserts it, moves it, or (for Infinity)
   * removes it.
   */
  schedule(e: T, at: number): void {
    if (at === Infinity) {
      this.remove(e);
      return;
    }
    if (!this.has(e)) {
      e.deadline = at;
      e.heapIndex = this.items.length;
      this.items.push(e);
      this.up(e.heapIndex);
      return;
    }
    const old = e.deadline;
    if (old === at) return;
    e.deadline = at;
    if (at < old) this.up(e.heapIndex);
    else this.down(e.heapIndex);
  }

  remove(e: T): void {
    if (!this.has(e)) return;
    const i = e.heapIndex;
    const last = this.items.pop()!;
    e.heapIndex = -1;
    if (last !== e) {
      this.items[i] = last;
      last.heapIndex = i;
      this.up(i);
      this.down(last.heapIndex);
    }
  }

  /** Remove and return the earliest entry if its deadline is at or before `now`. */
  popDue(now: number): T | undefined {
    const top = this.items[0];
    if (top === undefined || top.deadline > now) return undefined;
    this.remove(top);
    return top;
  }

  private up(i: number): void {
    const a = this.items;
    const e = a[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p]!;
      if (pe.deadline <= e.deadline) break;
      a[i] = pe;
      pe.heapIndex = i;
      i = p;
    }
    a[i] = e;
    e.heapIndex = i;
  }

  private down(i: number): void {
    const a = this.items;
    const n = a.length;
    const e = a[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && a[r]!.deadline < a[l]!.deadline ? r : l;
      const ce = a[c]!;
      if (ce.deadline >= e.deadline) break;
      a[i] = ce;
      ce.heapIndex = i;
      i = c;
    }
    a[i] = e;
    e.heapIndex = i;
  }
}
