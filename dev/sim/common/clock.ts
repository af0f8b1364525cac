// The simulators' clock: the time they stamp and expire credentials by, and the timers that move simulated
// work (Nova's builds and actions) along. Real time by default; a ManualClock lets a test step through the work.

export type SimClock = {
  now: () => number;
  /** Runs `fn` once, `ms` from now. */
  after: (ms: number, fn: () => void) => void;
  /** Drops every pending timer (the simulator closes). */
  cancelAll: () => void;
};

/** Wall-clock timers; `now` may be injected (expiry tests) without changing how timers fire. */
export function systemClock(now: () => number = Date.now): SimClock {
  const timers = new Set<NodeJS.Timeout>();
  return {
    now,
    after: (ms, fn) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        fn();
      }, ms);
      timers.add(timer);
    },
    cancelAll: () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}

type Timer = { due: number; seq: number; fn: () => void };

/** Time that moves only when the test says so: `advance(ms)` fires the timers that fall due, in order. */
export class ManualClock implements SimClock {
  #now: number;
  #timers: Timer[] = [];
  #seq = 0;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now = (): number => this.#now;

  after = (ms: number, fn: () => void): void => {
    this.#timers.push({ due: this.#now + Math.max(0, ms), seq: this.#seq++, fn });
  };

  cancelAll = (): void => {
    this.#timers = [];
  };

  /** Timers not yet fired. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due by then (also those the fired ones schedule). */
  advance(ms = 0): void {
    const until = this.#now + ms;
    for (;;) {
      const next = this.#timers.reduce<Timer | undefined>((a, t) => (a && (a.due < t.due || (a.due === t.due && a.seq < t.seq)) ? a : t), undefined);
      if (!next || next.due > until) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.due);
      next.fn();
    }
    this.#now = until;
  }

  /** Fires every pending timer, moving time to the last one: all simulated work finished. */
  settle(): void {
    while (this.#timers.length > 0) this.advance(Math.max(0, ...this.#timers.map((t) => t.due - this.#now)));
  }
}
