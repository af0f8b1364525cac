// Objects of one kind and ProviderConfig that the cloud refused for quota share one probe a period
// (docs/design.md, "Errors, retries and what wakes an object"): one of them sends its create again
// when the period is up, the others wait without a cloud call, and once a create goes through they
// follow in the order they came.

/** How far apart the waiting objects come back after a probe, in their order. */
const STEP_MS = 10;
/** How long the waiting objects give a probe in flight before looking again. */
const PROBE_GRACE_MS = 1_000;

interface Gate {
  /** The cloud's refusal, for the waiting objects' condition. */
  message: string;
  /** When the next probe may go. */
  probeAt: number;
  /** The object whose create is the probe now, and since when (one that never reports back, e.g. deleted, is replaced a period later). */
  prober: string | undefined;
  probeStartedAt: number;
  /** The objects waiting, first come first. */
  waiting: string[];
}

export interface QuotaWait {
  /** The cloud's refusal that closed the gate. */
  message: string;
  waitMs: number;
}

export class QuotaGates {
  readonly #periodMs: number;
  readonly #now: () => number;
  /** Per cloud client (a ProviderConfig): a new client starts without a gate. */
  readonly #gates = new WeakMap<object, Gate>();

  constructor(options: { periodMs: number; now: () => number }) {
    this.#periodMs = options.periodMs;
    this.#now = options.now;
  }

  /** undefined: `key` may send its create (no gate, or it is the probe); else how long it waits, without a cloud call. */
  admit(cloud: object, key: string): QuotaWait | undefined {
    const gate = this.#gates.get(cloud);
    if (!gate) return undefined;
    const now = this.#now();
    const probing = gate.prober !== undefined && now < gate.probeStartedAt + this.#periodMs;
    if (gate.prober === key || (!probing && now >= gate.probeAt)) {
      gate.prober = key;
      gate.probeStartedAt = now;
      gate.waiting = gate.waiting.filter((k) => k !== key);
      return undefined;
    }
    if (!gate.waiting.includes(key)) gate.waiting.push(key);
    const turn = STEP_MS * (gate.waiting.indexOf(key) + 1);
    const until = probing ? PROBE_GRACE_MS : gate.probeAt - now;
    return { message: gate.message, waitMs: Math.max(until, 0) + turn };
  }

  /** `key`'s create was refused for quota: no create goes for a period, then one probes. */
  refused(cloud: object, key: string, message: string): void {
    const gate = this.#gates.get(cloud) ?? { message, probeAt: 0, prober: undefined, probeStartedAt: 0, waiting: [] };
    gate.message = message;
    gate.probeAt = this.#now() + this.#periodMs;
    if (gate.prober === key) gate.prober = undefined;
    this.#gates.set(cloud, gate);
  }

  /** A create went through: the quota has room, and the waiting objects follow in their order. */
  created(cloud: object): void {
    this.#gates.delete(cloud);
  }
}
