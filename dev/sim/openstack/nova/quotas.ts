// Compute quotas: the create-time check (instances, cores, RAM, worded as Nova words it), os-quota-sets
// (a member reads its own project's, an admin reads and sets any) and /limits.
import type { AuthContext } from '../keystone.ts';
import type { NovaContext } from './context.ts';
import { forbidden, policyDenied } from './errors.ts';
import { DEFAULT_COMPUTE_QUOTAS, type ComputeQuotaKey, type Flavor, type NovaState } from './model.ts';
import { invalidInput, member, reason, rejectUnknown, type Obj } from './schema.ts';

const KEYS = Object.keys(DEFAULT_COMPUTE_QUOTAS).sort() as ComputeQuotaKey[];

type Counted = 'cores' | 'instances' | 'ram';

/** "Quota exceeded for cores, instances: Requested 1, 1, but already used 0, 10 of 0, 10 cores, instances". */
export function checkServerQuota(state: NovaState, projectId: string, flavor: Flavor): void {
  checkCounts(state, projectId, { cores: flavor.vcpus, instances: 1, ram: flavor.ram });
}

/** A resize needs room for what the new flavor adds (a smaller one needs none). */
export function checkResizeQuota(state: NovaState, projectId: string, from: Flavor, to: Flavor): void {
  const wanted = { cores: Math.max(0, to.vcpus - from.vcpus), ram: Math.max(0, to.ram - from.ram) };
  checkCounts(state, projectId, Object.fromEntries(Object.entries(wanted).filter(([, n]) => n > 0)));
}

function checkCounts(state: NovaState, projectId: string, wanted: Partial<Record<Counted, number>>): void {
  const used = state.usage(projectId);
  const overs = (Object.keys(wanted) as Counted[]).sort().filter((k) => {
    const limit = state.quotaFor(projectId, k);
    return limit >= 0 && used[k] + (wanted[k] ?? 0) > limit;
  });
  if (overs.length === 0) return;
  const list = (f: (k: Counted) => number): string => overs.map(f).join(', ');
  throw forbidden(`Quota exceeded for ${overs.join(', ')}: Requested ${list((k) => wanted[k] ?? 0)}, but already used ${list((k) => used[k])} of ${list((k) => state.quotaFor(projectId, k))} ${overs.join(', ')}`);
}

export function checkMetadataQuota(state: NovaState, projectId: string, metadata: Record<string, string>): void {
  const allowed = state.quotaFor(projectId, 'metadata_items');
  if (allowed >= 0 && Object.keys(metadata).length > allowed) throw forbidden(`Maximum number of metadata items exceeds ${allowed}`);
}

export class QuotaSets {
  readonly #state: NovaState;

  constructor(state: NovaState) {
    this.#state = state;
  }

  /** Key pairs belong to users, so a project's usage counts none (as Nova reports). */
  #inUse(projectId: string): Record<ComputeQuotaKey, number> {
    return { ...this.#state.usage(projectId), key_pairs: 0, metadata_items: 0, server_groups: 0, server_group_members: 0 };
  }

  show(ctx: NovaContext, projectId: string, detail: boolean): Obj {
    this.#mayRead(ctx.caller, projectId, detail);
    const inUse = this.#inUse(projectId);
    const values = Object.fromEntries(KEYS.map((k) => [k, detail ? { limit: this.#state.quotaFor(projectId, k), in_use: inUse[k], reserved: 0 } : this.#state.quotaFor(projectId, k)]));
    return { quota_set: { id: projectId, ...values } };
  }

  defaults(projectId: string): Obj {
    return { quota_set: { id: projectId, ...Object.fromEntries(KEYS.map((k) => [k, this.#state.defaultQuotas[k]])) } };
  }

  update(ctx: NovaContext, projectId: string, body: unknown): Obj {
    if (!ctx.caller.isAdmin) throw policyDenied('os_compute_api:os-quota-sets:update');
    const set = member(body, 'quota_set');
    for (const [k, v] of Object.entries(set)) {
      if (KEYS.includes(k as ComputeQuotaKey) && !Number.isInteger(Number(v))) throw invalidInput(k, v, reason.type(v, 'integer'));
    }
    rejectUnknown('quota_set', set, [...KEYS, 'force']);
    const current = this.#state.quotas.get(projectId) ?? {};
    for (const k of KEYS) if (set[k] !== undefined) current[k] = Number(set[k]);
    this.#state.quotas.set(projectId, current);
    return { quota_set: Object.fromEntries(KEYS.map((k) => [k, this.#state.quotaFor(projectId, k)])) };
  }

  /** DELETE: back to the defaults (202). */
  reset(ctx: NovaContext, projectId: string): void {
    if (!ctx.caller.isAdmin) throw policyDenied('os_compute_api:os-quota-sets:delete');
    this.#state.quotas.delete(projectId);
  }

  limits(ctx: NovaContext): Obj {
    const p = ctx.caller.projectId;
    const q = (k: ComputeQuotaKey): number => this.#state.quotaFor(p, k);
    const used = this.#state.usage(p);
    return {
      limits: {
        rate: [],
        absolute: {
          maxTotalInstances: q('instances'), maxTotalCores: q('cores'), maxTotalRAMSize: q('ram'), maxServerMeta: q('metadata_items'),
          maxTotalKeypairs: q('key_pairs'), maxServerGroups: q('server_groups'), maxServerGroupMembers: q('server_group_members'),
          totalRAMUsed: used.ram, totalCoresUsed: used.cores, totalInstancesUsed: used.instances, totalServerGroupsUsed: 0,
        },
      },
    };
  }

  #mayRead(caller: AuthContext, projectId: string, detail: boolean): void {
    if (!caller.isAdmin && caller.projectId !== projectId) throw policyDenied(detail ? 'os_compute_api:os-quota-sets:detail' : 'os_compute_api:os-quota-sets:show');
  }
}
