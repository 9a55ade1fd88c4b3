// Sets and maps of packet identifiers that mostly hold none or one: the received QoS 1/2
// PUBLISH awaiting its ack is added before its handler runs and removed right after.
// A JS Set that goes from one element back to none shrinks its table on every delete
// (V8 rehashes when it is under a quarter full, and 4 is its smallest capacity): a
// runtime call and a new table per message (a Map the same: a broker's delivery in
// flight to a client that acknowledges each before the next). One element lives in
// fields here; a Map is made only while two or more are held. Identifiers are
// 1..65535 (0 is never one: it marks the empty field).

/**
 * Values by packet identifier (1..65535), in insertion order like a Map, for
 * what is mostly none or one at a time (a broker's QoS 1/2 deliveries in flight to a
 * client that acknowledges each before the next): the only entry lives in fields, a Map
 * is made while two or more are held, and dropped when the last one goes.
 */
export class IdMap<V> {
  #id = 0;
  #value: V | undefined = undefined;
  #more: Map<number, V> | undefined = undefined;

  get size(): number { return this.#more !== undefined ? this.#more.size : this.#id !== 0 ? 1 : 0; }

  get(id: number): V | undefined {
    const more = this.#more;
    if (more !== undefined) return more.get(id);
    return this.#id === id && id !== 0 ? this.#value : undefined;
  }

  has(id: number): boolean {
    const more = this.#more;
    return more !== undefined ? more.has(id) : this.#id === id && id !== 0;
  }

  /** Sets `id` to `v` (an identifier already there keeps its place in the order). */
  set(id: number, v: V): this {
    const more = this.#more;
    if (more !== undefined) { more.set(id, v); return this; }
    if (this.#id === 0 || this.#id === id) { this.#id = id; this.#value = v; return this; }
    this.#more = new Map([[this.#id, this.#value as V], [id, v]]);
    this.#id = 0;
    this.#value = undefined;
    return this;
  }

  /** Removes `id`; false when it was not there. */
  delete(id: number): boolean {
    const more = this.#more;
    if (more === undefined) {
      if (this.#id !== id || id === 0) return false;
      this.#id = 0;
      this.#value = undefined;
      return true;
    }
    if (more.size === 1) {
      if (!more.has(id)) return false;
      this.#more = undefined;
      return true;
    }
    return more.delete(id);
  }

  clear(): void { this.#id = 0; this.#value = undefined; this.#more = undefined; }

  /** The values in insertion order (a copy is not made: do not change the map while iterating). */
  values(): IterableIterator<V> | V[] {
    const more = this.#more;
    if (more !== undefined) return more.values();
    return this.#id !== 0 ? [this.#value as V] : [];
  }
}

/** Packet identifiers (1..65535): an IdMap whose values say only "held" (add, has, delete, clear, size). */
export class IdSet extends IdMap<true> {
  add(id: number): void { this.set(id, true); }
}
