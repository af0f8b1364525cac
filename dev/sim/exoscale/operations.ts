// Asynchronous operations: every mutation answers with an operation whose reference already names the
// resource; the change is in the model at once, while the operation stays pending for a number of polls
// (GET /operation/{id}) and then ends, in success, or in the failure or timeout a test asked for (the
// change then never happened).
import { randomUUID } from 'node:crypto';

/** The spec's `operation.reason` enum. */
export type OperationReason = 'busy' | 'conflict' | 'fault' | 'forbidden' | 'incorrect' | 'interrupted' | 'not-found' | 'partial' | 'unavailable' | 'unknown' | 'unsupported';

export type OperationEnd = { state: 'success' } | { state: 'failure' | 'timeout'; reason?: OperationReason; message?: string };

/** Makes the next matching mutation's operation end in failure (default) or timeout, the change not made. */
export type OperationFailure = {
  /** The mutation's operationId (e.g. "attach-instance-to-private-network"); default: any mutation. */
  operation?: string;
  /** The id of the resource the mutation is about; default: any. */
  reference?: string;
  state?: 'failure' | 'timeout';
  reason?: OperationReason;
  message?: string;
};

export type Operation = {
  id: string;
  /** The mutation's operationId. */
  command: string;
  reference: { id: string; link: string; command: string };
  end: OperationEnd;
  /** GET /operation/{id} answered so far. */
  polls: number;
};

export class Operations {
  readonly byId = new Map<string, Operation>();
  private readonly failures: OperationFailure[] = [];
  private readonly pendingPolls: number;

  /** `pendingPolls`: how many polls answer "pending" before the operation's end. */
  constructor(pendingPolls: number) {
    this.pendingPolls = pendingPolls;
  }

  failNext(failure: OperationFailure): void {
    this.failures.push(failure);
  }

  /** The operation of a mutation of `reference`: success, unless a requested failure matches (consumed). */
  start(command: string, reference: Operation['reference']): Operation {
    const i = this.failures.findIndex((f) => (f.operation === undefined || f.operation === command) && (f.reference === undefined || f.reference === reference.id));
    const failure = i >= 0 ? this.failures.splice(i, 1)[0] : undefined;
    const end: OperationEnd = failure
      ? { state: failure.state ?? 'failure', ...(failure.reason ? { reason: failure.reason } : {}), ...(failure.message !== undefined ? { message: failure.message } : {}) }
      : { state: 'success' };
    const op: Operation = { id: randomUUID(), command, reference, end, polls: 0 };
    this.byId.set(op.id, op);
    return op;
  }

  /** One GET /operation/{id}: the operation as then answered, or undefined when there is none. */
  poll(id: string): unknown {
    const op = this.byId.get(id);
    if (!op) return undefined;
    op.polls++;
    return view(op, op.polls > this.pendingPolls);
  }
}

/** The operation as the API shows it: pending, or ended (with reason and message when it failed). */
export function view(op: Operation, ended: boolean): unknown {
  const base = { id: op.id, reference: op.reference };
  if (!ended) return { ...base, state: 'pending' };
  return { ...base, ...op.end };
}
