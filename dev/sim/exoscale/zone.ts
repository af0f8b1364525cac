// One zone's state: resources live in one zone (a network of ch-gva-2 is unknown in de-fra-1), so each
// zone has its own private networks, instances, operations and VNI sequence.
import { randomUUID } from 'node:crypto';
import { json, type SimResponse } from './errors.ts';
import { Operations, view, type OperationFailure } from './operations.ts';

export type PrivateNetworkOptions = { routers?: string[]; 'dns-servers'?: string[]; 'ntp-servers'?: string[]; 'domain-search'?: string[] };

/** The fields a client sets (create, update), by the API's names. */
export type PrivateNetworkFields = {
  name?: string;
  description?: string;
  'start-ip'?: string;
  'end-ip'?: string;
  netmask?: string;
  labels?: Record<string, string>;
  options?: PrivateNetworkOptions;
};

/** An attached instance's NIC: its lease on a managed network, and its MAC address. */
export type Attachment = { ip?: string; mac: string };

export type PrivateNetwork = PrivateNetworkFields & {
  id: string;
  name: string;
  vni: number;
  /** By instance id, in attach order (the order of `leases`). */
  attachments: Map<string, Attachment>;
};

/** The spec's `instance-state` enum. */
export type InstanceState = 'destroyed' | 'destroying' | 'error' | 'expunging' | 'migrating' | 'running' | 'starting' | 'stopped' | 'stopping';

export type Instance = { id: string; name: string; state: InstanceState; createdAt: string };

export class Zone {
  readonly name: string;
  readonly networks = new Map<string, PrivateNetwork>();
  readonly instances = new Map<string, Instance>();
  readonly operations: Operations;
  private readonly now: () => number;
  private lastVni = 0;
  private lastMac = 0;

  constructor(name: string, pendingPolls: number, now: () => number) {
    this.name = name;
    this.operations = new Operations(pendingPolls);
    this.now = now;
  }

  /** Seeds an instance (the simulator creates none through the API); returns its id. */
  addInstance(instance: { name: string; state?: InstanceState }): string {
    const id = randomUUID();
    this.instances.set(id, { id, name: instance.name, state: instance.state ?? 'running', createdAt: new Date(this.now()).toISOString() });
    return id;
  }

  /** The next mutation matching `failure` gets an operation ending in failure (or timeout), its change not made. */
  failNextOperation(failure: OperationFailure = {}): void {
    this.operations.failNext(failure);
  }

  /** VXLAN ids are unique in a zone, from 1. */
  nextVni(): number {
    return ++this.lastVni;
  }

  /** A locally administered MAC address, unique in the zone. */
  nextMac(): string {
    const n = ++this.lastMac;
    return `0a:00:00:${[n >> 16, n >> 8, n].map((byte) => (byte & 0xff).toString(16).padStart(2, '0')).join(':')}`;
  }

  /**
   * A mutation: answered with its pending operation (reference: the private network `id`); `apply` changes
   * the model now, unless the operation is to fail.
   */
  mutate(command: string, id: string, apply: () => void): SimResponse {
    const op = this.operations.start(command, { id, link: `/v2/private-network/${id}`, command: 'get-private-network' });
    if (op.end.state === 'success') apply();
    return json(200, view(op, false));
  }
}
