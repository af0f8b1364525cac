/**
 * Keys each due at a time, earliest first, with a value each: a binary min-heap with lazy
 * deletion, so that setting, moving or dropping a key is O(log n) and needs no timer of its own
 * (client-go's delaying queue keeps one heap and one timer the same way).
 */
export class Schedule<V> {
  /** key -> when it is due and its value; the heap's entries that disagree with this map are stale. */
  readonly #entries = new Map<string, { at: number; value: V }>();
  #heap: { key: string; at: number }[] = [];

  get size(): number {
    return this.#entries.size;
  }

  /** Makes `key` due at `at`, replacing when it was due before. */
  set(key: string, at: number, value: V): void {
    this.#entries.set(key, { at, value });
    this.#push({ key, at });
    // Moved and dropped keys leave stale entries behind; rebuild before they outnumber the live ones.
    if (this.#heap.length > 2 * this.#entries.size + 64) this.#heap = this.#rebuilt();
  }

  delete(key: string): boolean {
    return this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#heap = [];
  }

  /** When the earliest key is due (Infinity: none). */
  nextAt(): number {
    this.#dropStale();
    return this.#heap[0]?.at ?? Infinity;
  }

  /** Removes the keys due at or before `now` and returns them with their values, earliest first. */
  takeDue(now: number): [string, V][] {
    const due: [string, V][] = [];
    while (this.nextAt() <= now) {
      const { key } = this.#pop();
      due.push([key, this.#entries.get(key)!.value]);
      this.#entries.delete(key);
    }
    return due;
  }

  #dropStale(): void {
    while (this.#heap.length > 0) {
      const top = this.#heap[0]!;
      if (this.#entries.get(top.key)?.at === top.at) return;
      this.#pop();
    }
  }

  #rebuilt(): { key: string; at: number }[] {
    const live = [...this.#entries].map(([key, { at }]) => ({ key, at }));
    return live.sort((a, b) => a.at - b.at);
  }

  #push(entry: { key: string; at: number }): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): { key: string; at: number } {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1]!.at < heap[left]!.at ? left + 1 : left;
      if (heap[child]!.at >= last.at) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
