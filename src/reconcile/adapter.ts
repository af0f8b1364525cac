// The only kind-specific code the generic reconciler drives: one Adapter per kind (docs/design.md,
// "The reconcile contract"; docs/adding-a-kind.md walks through one).
import type { KubernetesObject } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../api/kind.ts';
import type { CloudError } from '../cloud/errors.ts';
import type { ResourceType } from '../runtime/client.ts';
import type { Condition } from '../runtime/conditions.ts';
import type { MarkStyle } from './marks.ts';
import type { Provider } from './provider.ts';

export type ManagementPolicy = 'Managed' | 'ObserveOnly';
export type DeletionPolicy = 'Delete' | 'Orphan';

export interface PendingCreate {
  name: string;
  startedAt: string;
}

/** A mutation the cloud accepted and is still carrying out (status.pendingOperation). */
export interface PendingOperation {
  action: 'create' | 'update' | 'delete';
  /** The cloud's operation, when it gave one to poll. */
  id?: string;
  startedAt: string;
}

/** The common envelope of every managed kind (src/api/envelope.ts), over its resource R, filter F and summary S. */
export interface ManagedObject<R = unknown, F = unknown, S = unknown> extends KubernetesObject {
  metadata: NonNullable<KubernetesObject['metadata']> & { name: string; namespace?: string };
  spec: {
    providerConfigRef: { name: string };
    managementPolicy: ManagementPolicy;
    deletionPolicy: DeletionPolicy;
    resyncPeriod?: string;
    import?: { id?: string; filter?: F };
    resource?: R;
  };
  status?: {
    id?: string;
    observedGeneration?: number;
    resource?: S;
    lastSyncTime?: string;
    conditions?: Condition[];
    pendingCreate?: PendingCreate;
    pendingOperation?: PendingOperation;
  };
}

/**
 * A reference from spec.resource (or spec.import.filter) to another object of the namespace
 * (networkRef, subnetRef...). A reference naming the object itself (a security group rule allowing
 * its own members) neither waits nor blocks the object's deletion: it resolves to the object's own
 * id through ResolvedRefs.withOwnId.
 */
export interface Ref {
  kind: string;
  name: string;
  /** Where in the spec, for messages, e.g. `networkRef` or `fixedIPs[0].subnetRef`. */
  field: string;
  /**
   * false: the object can exist without the referenced one, e.g. a security group rule naming
   * another group (Neutron deletes such rules with that group). It then neither waits for the
   * referenced object before its create nor blocks that object's deletion: it resolves as soon as
   * the referenced object has an id (Ready or not, so two objects may reference each other), the
   * adapter leaves out what needs it until then (ResolvedRefs.find), and the object reports
   * Ready=False WaitingForDependency naming it. Default true: wait for it to be Ready first, and
   * keep it from being deleted while this object references it.
   */
  blocking?: boolean;
}

export const isBlocking = (ref: Ref): boolean => ref.blocking !== false;

/** Cloud IDs of the referenced objects, resolved from their status; never written into spec. */
export interface ResolvedRefs {
  /** The ID of the referenced object; throws if it is not resolved (a non-blocking reference may not be). */
  id(kind: string, name: string): string;
  /** The ID of the referenced object, or undefined while a non-blocking reference is unresolved. */
  find(kind: string, name: string): string | undefined;
  /**
   * These references with the object's own cloud id: references to the object itself resolve to
   * it. The reconciler passes them so to diff; a create that needs them (the resource must exist
   * first) calls this with the id it was just given.
   */
  withOwnId(id: string): ResolvedRefs;
}

export const refKey = (kind: string, name: string): string => `${kind}/${name}`;

/** `ids`: refKey -> id; `self`: the object's own refKey, which withOwnId resolves. */
export function resolvedRefs(ids: ReadonlyMap<string, string>, self?: string): ResolvedRefs {
  const find = (kind: string, name: string) => ids.get(refKey(kind, name));
  const refs: ResolvedRefs = {
    find,
    id(kind, name) {
      const id = find(kind, name);
      if (id === undefined) throw new Error(`reference ${kind}/${name} was not resolved`);
      return id;
    },
    withOwnId: (id) => (self === undefined ? refs : resolvedRefs(new Map([...ids, [self, id]]), self)),
  };
  return refs;
}

/** What the object asks for: spec.resource, its references resolved to IDs, and its cloud name. */
export interface Desired<R> {
  resource: R;
  refs: ResolvedRefs;
  name: string;
}

/** A key of a Secret in the object's namespace that a create reads (e.g. a server's user data). */
export interface SecretInput {
  name: string;
  key: string;
  /** The spec field naming it, for messages. */
  field: string;
}

/** What a create is given: the desired state and the data of the Secret keys the adapter's secretInputs name. */
export interface CreateRequest<R> extends Desired<R> {
  /** The key's data, base64 as the Secret holds it; throws for a key secretInputs did not name. */
  secretData(input: { name: string; key: string }): string;
}

/**
 * Thrown by an adapter when the cloud refuses a request until something else in the cloud changes
 * (a floating IP until a router joins its port's subnet to the external network). The object
 * waits (Ready=False, Reconciling, `reason`) with `message` saying what to change, is retried on
 * the backoff schedule, and is woken at once by a change of any object of the `wokenBy` kinds in
 * its namespace, which may be the change it waits for.
 */
export class CloudPrecondition extends Error {
  override readonly name = 'CloudPrecondition';
  readonly reason: string;
  readonly wokenBy: string[];
  /** The cloud's refusal. */
  readonly error: CloudError;

  constructor(init: { reason: string; message: string; wokenBy: string[]; error: CloudError }) {
    super(init.message);
    this.reason = init.reason;
    this.wokenBy = init.wokenBy;
    this.error = init.error;
  }
}

/**
 * Where an observed resource stands (ORC's progress status): ready; still in transition, to look
 * at again after `pollAfterMs` (the adapter's schedule, not the error backoff), and, while `busy`,
 * refusing changes so none is sent; or failed for good (the object stalls until its spec changes
 * or the drift check comes).
 */
export type Progress =
  | { state: 'ready' }
  | { state: 'progressing'; reason: string; message: string; pollAfterMs: number; busy: boolean }
  /** recreate: the spec asks for a failed resource to be deleted and created again instead. */
  | { state: 'failed'; reason: string; message: string; recreate?: boolean };

export const READY: Progress = { state: 'ready' };

export function progressing(message: string, pollAfterMs: number, options: { reason?: string; busy?: boolean } = {}): Progress {
  return { state: 'progressing', reason: options.reason ?? 'WaitingForCloud', message, pollAfterMs, busy: options.busy ?? false };
}

export const failed = (reason: string, message: string, options: { recreate?: boolean } = {}): Progress => ({ state: 'failed', reason, message, ...(options.recreate ? { recreate: true } : {}) });

/**
 * A mutation the cloud took but has not finished (Nova's 202, an Exoscale operation): the
 * resource's id when the answer names it, the operation to poll when there is one, and when to
 * look again.
 */
export interface Accepted {
  accepted: true;
  id?: string;
  operation?: string;
  pollAfterMs: number;
}

export const accepted = (answer: Omit<Accepted, 'accepted'>): Accepted => ({ accepted: true, ...answer });

export const isAccepted = (answer: unknown): answer is Accepted => typeof answer === 'object' && answer !== null && (answer as Accepted).accepted === true;

/** Where an operation stands: `id` is the resource it made, when it says. */
export type OperationStatus =
  | { state: 'pending'; pollAfterMs: number }
  | { state: 'done'; id?: string }
  /** retry: the same request may succeed later (the cloud was busy): sent again after the object's backoff, not stalled. */
  | { state: 'failed'; reason: string; message: string; retry?: boolean };

/**
 * Finding the resource of a create whose answer was lost, on a cloud that took the create without
 * the marks (Neutron before tags on create): the single unmarked resource of that name and scope,
 * created since the recorded intent, in the cloud's clock.
 */
export interface IntentAdoption<R, O, C> {
  /** Resources named `name` in the scope `resource` and `refs` select (e.g. the network of a subnet). */
  listByName(cloud: C, name: string, resource: R, refs: ResolvedRefs): Promise<O[]>;
  /** How far the cloud's clock is ahead of ours (negative: behind), as far as the client has seen; undefined while unknown. */
  clockOffsetMs?(cloud: C): number | undefined;
}

/**
 * What differs between kinds. R: spec.resource, F: spec.import.filter, S: status.resource,
 * O: the cloud's own object, C: the cloud client of the provider, M: the cloud's ownership marks.
 */
export interface Adapter<R = unknown, F = unknown, S = unknown, O = unknown, C = unknown, M = readonly string[]> {
  kind: string;
  /** The Kubernetes resource type of the kind (informers, status patches). */
  resource: ResourceType;
  /** The cloud of the kind: its ProviderConfigs give the client `C`. */
  provider: Provider<C>;
  /** The objects spec.resource references. */
  references(resource: R): Ref[];
  /**
   * The objects an import filter names (e.g. the Network whose subnets it searches): waited for
   * like blocking references before the import, and resolved for listForImport. Never block the
   * deletion of those objects (the filter is used once, to adopt). Default none.
   */
  importReferences?(filter: F): Ref[];
  /** Name in the cloud; default spec.resource.name ?? metadata.name. */
  cloudName?(obj: ManagedObject<R, F, S>): string;
  /** The resource, or undefined when it does not exist. */
  get(cloud: C, id: string): Promise<O | undefined>;
  /** Candidates for import.filter; `refs` resolves its importReferences. */
  listForImport(cloud: C, filter: F, refs: ResolvedRefs): Promise<O[]>;
  /** What other projects use the resource for (an external or shared network), if anything: importing it Managed warns. */
  sharedWith?(observed: O): string | undefined;

  /** How the cloud marks resources as the operator's. */
  marks: MarkStyle<M>;
  marksOf(observed: O): M;
  /** The user's own marks from spec.resource (the operator adds its ownership marks). */
  userMarks(resource: R): M;
  /** Resources marked as the object `uid`'s. */
  listOwned(cloud: C, uid: string): Promise<O[]>;
  /**
   * Every resource carrying the operator's managed mark, all pages, observed as get() observes
   * one: the drift checks of all objects of the kind on one ProviderConfig share it (a cloud
   * that cannot filter by marks lists whatever holds them, e.g. a zone's networks). Without it,
   * each drift check is a get().
   */
  listManaged?(cloud: C): Promise<O[]>;
  /** Replaces the resource's marks; returns the resource as it now is. */
  setMarks(cloud: C, observed: O, marks: M): Promise<O>;
  /**
   * Whether the create request carries the marks (a lost answer then leaves a marked, findable
   * resource). Default true. A cloud that may not needs intentAdoption.
   */
  marksOnCreate?(cloud: C): Promise<boolean>;
  intentAdoption?: IntentAdoption<R, O, C>;
  /** RFC 3339 creation time as the cloud reports it (the oldest of duplicates is kept; intent adoption matches it). */
  createdAt(observed: O): string | undefined;

  /**
   * Secret keys the create reads, waited for until they exist; read at each create only (what
   * they feed is immutable), never shown in status, events or errors. Default none.
   */
  secretInputs?(resource: R): SecretInput[];
  /** Creates the resource with these marks (in the same request where the cloud allows it). */
  create(cloud: C, desired: CreateRequest<R>, marks: M): Promise<O | Accepted>;
  /** Only the changed mutable fields (marks excluded: the reconciler keeps them), or undefined. */
  diff(desired: Desired<R>, observed: O): Record<string, unknown> | undefined;
  /**
   * Whether every field update() sends is conditional on the observed revision (a stale one is
   * refused as staleRevision) and the marks are replaced whole: a spec change may then be diffed
   * against the last observation this process made, without reading the resource first (a refusal
   * rereads it once). Default false.
   */
  conditionalUpdate?: boolean;
  /** Sends `patch` (from diff); `desired` is what it was computed from. */
  update(cloud: C, observed: O, patch: Record<string, unknown>, desired: Desired<R>): Promise<O | Accepted>;
  /** Deletes the resource (one already gone counts as deleted); Accepted while the cloud is still at it. */
  delete(cloud: C, id: string): Promise<void | Accepted>;
  /**
   * Polls an operation an Accepted named (required of adapters whose mutations answer with one);
   * `startedAt` lets the schedule lengthen the longer it runs.
   */
  operation?(cloud: C, operation: { id: string; startedAt: string }): Promise<OperationStatus>;

  id(observed: O): string;
  summarize(observed: O): S;
  /** Where the resource stands; `resource` is the spec's (undefined for ObserveOnly). */
  progress(observed: O, resource?: R): Progress;
}

export type AnyAdapter = Adapter<any, any, any, any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The Kubernetes resource type of a cloudnet.io kind. */
export function cloudnetResource(definition: { kind: string; plural: string }): ResourceType {
  return { group: GROUP, version: VERSION, plural: definition.plural, kind: definition.kind, namespaced: true };
}

/** The members of an adapter that its API definition and its cloud fix, stated there once. */
export function kindOf<C>(definition: { kind: string; plural: string }, provider: Provider<C>): Pick<Adapter<unknown, unknown, unknown, unknown, C, unknown>, 'kind' | 'resource' | 'provider'> {
  return { kind: definition.kind, resource: cloudnetResource(definition), provider };
}

/** What an object's spec.resource references. */
export function specReferences<R, F, S>(adapter: Pick<Adapter<R>, 'references'>, obj: ManagedObject<R, F, S>): Ref[] {
  return obj.spec?.resource === undefined ? [] : adapter.references(obj.spec.resource);
}

/** What an object's import filter references. */
export function importReferences<R, F, S>(adapter: Pick<Adapter<R, F>, 'importReferences'>, obj: ManagedObject<R, F, S>): Ref[] {
  const filter = obj.spec?.import?.filter;
  return filter === undefined || !adapter.importReferences ? [] : adapter.importReferences(filter);
}

export const isSelfReference = (adapter: { kind: string }, obj: ManagedObject, ref: Ref): boolean =>
  ref.kind === adapter.kind && ref.name === obj.metadata.name;

export function cloudNameOf<R, F, S>(adapter: Pick<Adapter<R, F, S>, 'cloudName'>, obj: ManagedObject<R, F, S>): string {
  if (adapter.cloudName) return adapter.cloudName(obj);
  return explicitName(obj) ?? obj.metadata.name;
}

/**
 * The name to keep on an existing resource: an imported one keeps the name it has (its summary's
 * `name`) unless spec.resource.name says otherwise.
 */
export function enforcedNameOf<R, F, S>(adapter: Pick<Adapter<R, F, S>, 'cloudName'>, obj: ManagedObject<R, F, S>, observedName: string | undefined): string {
  if (obj.spec.import && !adapter.cloudName && observedName !== undefined) return explicitName(obj) ?? observedName;
  return cloudNameOf(adapter, obj);
}

function explicitName(obj: ManagedObject): string | undefined {
  const name = (obj.spec.resource as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name : undefined;
}
