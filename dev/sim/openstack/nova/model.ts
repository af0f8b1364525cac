// Nova's objects as the simulator stores them, and the state they live in.

/** A flavor as Nova stores it; a server keeps a copy (Nova embeds it from 2.47 on). */
export type Flavor = {
  id: string;
  name: string;
  ram: number;
  vcpus: number;
  disk: number;
  ephemeral: number;
  swap: number;
  isPublic: boolean;
  description: string | null;
  extraSpecs: Record<string, string>;
};

export type VmState = 'building' | 'active' | 'stopped' | 'resized' | 'error' | 'deleted';
export type TaskState =
  | 'scheduling'
  | 'spawning'
  | 'powering-off'
  | 'powering-on'
  | 'rebooting'
  | 'rebooting_hard'
  | 'resize_prep'
  | 'resize_migrated'
  | 'resize_reverting'
  | 'deleting';

/** A network request resolved by the API: a port to create on a network, or the user's port to bind. */
export type PlannedPort = { networkId: string; fixedIp?: string } | { portId: string };

/** A port of a server: `created` ports are Nova's (deleted with the server), the others the user's (kept, unbound). */
export type ServerPort = { id: string; created: boolean };

export type Fault = { code: number; message: string; created: number };

export type Server = {
  id: string;
  name: string;
  description: string | null;
  projectId: string;
  userId: string;
  imageId: string;
  flavor: Flavor;
  /** The flavor before a resize, until it is confirmed or reverted. */
  oldFlavor?: Flavor;
  /** The vm_state a resize started from (a stopped server stays stopped). */
  resizedFrom?: VmState;
  /** A confirmResize is under way: another one finds no resize to confirm. */
  confirming?: boolean;
  metadata: Record<string, string>;
  tags: string[];
  keyName: string | null;
  userData: string | null;
  vmState: VmState;
  taskState: TaskState | null;
  powerState: number;
  /** The compute host once scheduled; null while scheduling or after a failed build. */
  host: string | null;
  availabilityZone: string;
  ports: ServerPort[];
  /** What the build will plug in once scheduled (its ports of the user count as in use meanwhile). */
  pending?: PlannedPort[];
  fault?: Fault;
  created: number;
  updated: number;
  launchedAt: number | null;
  terminatedAt: number | null;
  hostname: string;
  instanceName: string;
  reservationId: string;
  /** Bumped by every state change: a timer of an older step finds it changed and does nothing. */
  step: number;
};

export const POWER = { NOSTATE: 0, RUNNING: 1, SHUTDOWN: 4 } as const;

/** Nova's status: a function of vm_state and task_state (nova/api/openstack/common.py _STATE_MAP). */
export function statusOf(server: Pick<Server, 'vmState' | 'taskState'>): string {
  const task = server.taskState;
  const resizing = task === 'resize_prep' || task === 'resize_migrated';
  switch (server.vmState) {
    case 'building':
      return 'BUILD';
    case 'active':
      if (task === 'rebooting') return 'REBOOT';
      if (task === 'rebooting_hard') return 'HARD_REBOOT';
      return resizing ? 'RESIZE' : 'ACTIVE';
    case 'stopped':
      return resizing ? 'RESIZE' : 'SHUTOFF';
    case 'resized':
      return task === 'resize_reverting' ? 'REVERT_RESIZE' : 'VERIFY_RESIZE';
    case 'error':
      return 'ERROR';
    case 'deleted':
      return 'DELETED';
  }
}

export type Keypair = {
  id: number;
  name: string;
  userId: string;
  publicKey: string;
  fingerprint: string;
  type: 'ssh' | 'x509';
  created: number;
};

export type ComputeQuotaKey = 'instances' | 'cores' | 'ram' | 'key_pairs' | 'metadata_items' | 'server_groups' | 'server_group_members';

/** Nova's default quotas. */
export const DEFAULT_COMPUTE_QUOTAS: Record<ComputeQuotaKey, number> = {
  cores: 20,
  instances: 10,
  key_pairs: 100,
  metadata_items: 128,
  ram: 51200,
  server_group_members: 10,
  server_groups: 10,
};

export class NovaState {
  readonly servers = new Map<string, Server>();
  readonly flavors = new Map<string, Flavor>();
  readonly keypairs = new Map<string, Keypair>();
  /** Per-project overrides of the default quotas. */
  readonly quotas = new Map<string, Partial<Record<ComputeQuotaKey, number>>>();
  readonly defaultQuotas: Record<ComputeQuotaKey, number>;
  private instanceCounter = 0;
  private keypairCounter = 0;

  constructor(flavors: Flavor[], quotas: Partial<Record<ComputeQuotaKey, number>> = {}) {
    for (const f of flavors) this.flavors.set(f.id, f);
    this.defaultQuotas = { ...DEFAULT_COMPUTE_QUOTAS, ...quotas };
  }

  quotaFor(projectId: string, key: ComputeQuotaKey): number {
    return this.quotas.get(projectId)?.[key] ?? this.defaultQuotas[key];
  }

  /** Instances, cores and RAM a project's servers use (counted from their current flavors). */
  usage(projectId: string): Record<'instances' | 'cores' | 'ram', number> {
    const used = { instances: 0, cores: 0, ram: 0 };
    for (const s of this.servers.values()) {
      if (s.projectId !== projectId || s.vmState === 'deleted') continue;
      used.instances++;
      used.cores += s.flavor.vcpus;
      used.ram += s.flavor.ram;
    }
    return used;
  }

  /** libvirt-style instance names: instance-00000001, ... */
  nextInstanceName(): string {
    return `instance-${(++this.instanceCounter).toString(16).padStart(8, '0')}`;
  }

  nextKeypairId(): number {
    return ++this.keypairCounter;
  }
}
