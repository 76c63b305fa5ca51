// The stack's connections by tuple key, kept so that a connection that
// closed is garbage at once.
//
// A plain Map<string, TcpEndpoint> under constant churn (every connection
// added and deleted once) rebuilds its hash table every few hundred
// changes, and V8 leaves the old table with its entries behind, unreachable
// but not freed until the next full collection. Until then the young-
// generation collector treats that table as live, so every endpoint it held
// (and its whole connection) survives and is promoted to the old
// generation: in a connect+request+close loop nearly every connection was,
// about 4 KB each, and scavenges took 4-11 ms every 30 ms. Here the map
// holds only slot numbers; the endpoints sit in an array whose slot is
// cleared when the connection goes, so a left-behind table holds nothing
// but numbers and key strings.

export class ConnTable<T> {
  private readonly slotOf = new Map<string, number>();
  private readonly slots: Array<T | undefined> = [];
  /** Cleared slots, reused before the array grows. */
  private readonly free: number[] = [];

  get size(): number {
    return this.slotOf.size;
  }

  get(key: string): T | undefined {
    const i = this.slotOf.get(key);
    return i === undefined ? undefined : this.slots[i];
  }

  has(key: string): boolean {
    return this.slotOf.has(key);
  }

  /** Add or replace the value for `key`. */
  set(key: string, value: T): void {
    const i = this.slotOf.get(key);
    if (i !== undefined) {
      this.slots[i] = value;
      return;
    }
    const slot = this.free.pop() ?? this.slots.length;
    this.slots[slot] = value;
    this.slotOf.set(key, slot);
  }

  delete(key: string): boolean {
    const i = this.slotOf.get(key);
    if (i === undefined) return false;
    this.slotOf.delete(key);
    this.slots[i] = undefined;
    this.free.push(i);
    return true;
  }

  /** The values in the order their keys were added (as a Map's). */
  *values(): IterableIterator<T> {
    for (const i of this.slotOf.values()) yield this.slots[i]!;
  }

  clear(): void {
    this.slotOf.clear();
    this.slots.length = 0;
    this.free.length = 0;
  }
}

/**
 * A set of objects with distinct keys (endpoints, by their tuple key) on a
 * ConnTable, for the same reason: a Set<TcpEndpoint> under churn leaves
 * old tables behind that keep closed connections from young-generation
 * collection.
 */
export class KeyedSet<T extends { readonly key: string }> {
  private readonly table = new ConnTable<T>();

  get size(): number {
    return this.table.size;
  }

  has(item: T): boolean {
    return this.table.get(item.key) === item;
  }

  add(item: T): this {
    this.table.set(item.key, item);
    return this;
  }

  /** Remove `item` (not another item under its key); whether it was there. */
  delete(item: T): boolean {
    if (this.table.get(item.key) !== item) return false;
    return this.table.delete(item.key);
  }

  clear(): void {
    this.table.clear();
  }

  /** The items in the order they were added. */
  [Symbol.iterator](): IterableIterator<T> {
    return this.table.values();
  }
}
