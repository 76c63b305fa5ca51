// A minimal typed event emitter for the stack layer, which must run where
// node:events does not exist. The API layer uses Node's EventEmitter.

// `void` listeners with argument tuples: { message: [Uint8Array, RemoteInfo] }.
export type EventMap = Record<string, unknown[]>;

type Listener<A extends unknown[]> = (...args: A) => void;

export class Emitter<E extends EventMap> {
  private readonly listeners = new Map<keyof E, Array<{ fn: Listener<E[keyof E]>; once: boolean }>>();

  on<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    let list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, (list = []));
    list.push({ fn: fn as unknown as Listener<E[keyof E]>, once: false });
    return this;
  }

  once<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    let list = this.listeners.get(event);
    if (list === undefined) this.listeners.set(event, (list = []));
    list.push({ fn: fn as unknown as Listener<E[keyof E]>, once: true });
    return this;
  }

  off<K extends keyof E>(event: K, fn: Listener<E[K]>): this {
    const list = this.listeners.get(event);
    if (list === undefined) return this;
    const i = list.findIndex((l) => l.fn === (fn as unknown as Listener<E[keyof E]>));
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /**
   * Call the listeners of `event`; returns whether there were any. An
   * 'error' with no listener is thrown, as Node's EventEmitter does, so
   * errors are never silently lost.
   */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) {
      if (event === 'error') throw args[0];
      return false;
    }
    for (const l of [...list]) {
      if (l.once) {
        const i = list.indexOf(l);
        if (i >= 0) list.splice(i, 1);
      }
      (l.fn as unknown as Listener<E[K]>)(...args);
    }
    return true;
  }
}
