// A server's states over time, as Nova moves them: the build (scheduling, spawning, ACTIVE), the actions
// (the task_state at once, the result a task's time later), resize and its confirmation, deletion. Each
// action first passes Nova's check_instance_state (vm_state, task_state, launched), else a 409.
import type { SimClock } from '../../common/clock.ts';
import type { AuthContext } from '../keystone.ts';
import { badRequest, conflict, invalidState } from './errors.ts';
import { POWER, type Flavor, type NovaState, type Server, type TaskState, type VmState } from './model.ts';
import { BuildFailure, COMPUTE_HOST, type ServerNetworking } from './networking.ts';

export type Timing = {
  /** From POST /servers to ACTIVE: half scheduling, half spawning. */
  buildMs: number;
  /** What one action takes (stop, start, reboot, each half of a resize, confirm, revert, delete, detach). */
  taskMs: number;
};

/** A metadata key that makes a build fail: its value is the fault message (empty: Nova's "no valid host" one). */
export const BUILD_ERROR_KEY = 'sim:build-error';

/** Any task_state (check_instance_state with task_state=None). */
const ANY = undefined;

export class Lifecycle {
  readonly #state: NovaState;
  readonly #net: ServerNetworking;
  readonly #clock: SimClock;
  readonly #timing: Timing;

  constructor(state: NovaState, net: ServerNetworking, clock: SimClock, timing: Timing) {
    this.#state = state;
    this.#net = net;
    this.#clock = clock;
    this.#timing = timing;
  }

  /** BUILD: scheduling for half the build time; then its networks (server.pending) and a host; then ACTIVE. */
  build(server: Server, owner: AuthContext, securityGroupIds: string[]): void {
    this.#set(server, { vmState: 'building', taskState: 'scheduling', powerState: POWER.NOSTATE });
    this.#later(server, this.#timing.buildMs / 2, () => {
      // The one simulated host has no custom traits: a flavor requiring one has nowhere to go.
      const required = Object.entries(server.flavor.extraSpecs).some(([key, value]) => key.startsWith('trait:') && value === 'required');
      if (required) {
        delete server.pending;
        return this.#buildFailed(server, 'No valid host was found. ');
      }
      const planned = server.pending ?? [];
      delete server.pending;
      // Out of the build request into the cell's database: tags are rows now (sorted, no duplicates).
      server.tags = [...new Set(server.tags)].sort();
      try {
        this.#net.allocate(server, owner, planned, securityGroupIds);
      } catch (err) {
        if (err instanceof BuildFailure) return this.#buildFailed(server, err.message);
        throw err;
      }
      this.#set(server, { taskState: 'spawning', host: COMPUTE_HOST, availabilityZone: 'nova' });
      this.#later(server, this.#timing.buildMs / 2, () => {
        const forced = server.metadata[BUILD_ERROR_KEY];
        if (forced !== undefined) {
          this.#net.release(server);
          return this.#buildFailed(server, forced || `Exceeded maximum number of retries. Exhausted all hosts available for retrying build failures for instance ${server.id}.`);
        }
        this.#set(server, { vmState: 'active', taskState: null, powerState: POWER.RUNNING, launchedAt: this.#clock.now() });
      });
    });
  }

  /** Puts a server in ERROR with a fault, as a failure on its host would (out of band, for tests). */
  fail(server: Server, message: string): void {
    this.#set(server, { vmState: 'error', taskState: null, fault: this.#fault(message) });
  }

  stop(server: Server): void {
    this.#require(server, 'stop', ['active', 'error'], [null]);
    this.#task(server, 'powering-off', { vmState: 'stopped', powerState: POWER.SHUTDOWN });
  }

  start(server: Server): void {
    this.#require(server, 'start', ['stopped'], [null]);
    this.#task(server, 'powering-on', { vmState: 'active', powerState: POWER.RUNNING });
  }

  reboot(server: Server, hard: boolean): void {
    if (hard) this.#require(server, 'reboot', ['active', 'stopped', 'error'], [null, 'rebooting', 'rebooting_hard']);
    else this.#require(server, 'reboot', ['active'], [null]);
    this.#task(server, hard ? 'rebooting_hard' : 'rebooting', { vmState: 'active', powerState: POWER.RUNNING });
  }

  /** Nova checks the state before it looks at the flavor (requireResizable, then the caller's checks). */
  requireResizable(server: Server): void {
    this.#require(server, 'resize', ['active', 'stopped'], [null]);
  }

  /** resize_prep, then resize_migrated, then VERIFY_RESIZE (vm_state resized) on the new flavor. */
  resize(server: Server, target: Flavor): void {
    this.requireResizable(server);
    const from = server.vmState;
    this.#set(server, { taskState: 'resize_prep' });
    this.#later(server, this.#timing.taskMs / 2, () => {
      this.#set(server, { taskState: 'resize_migrated' });
      this.#later(server, this.#timing.taskMs / 2, () => {
        this.#set(server, { vmState: 'resized', taskState: null, oldFlavor: server.flavor, flavor: structuredClone(target), resizedFrom: from });
      });
    });
  }

  /** Answered at once (204); the server stays VERIFY_RESIZE until the compute host has confirmed. */
  confirmResize(server: Server): void {
    this.#requireResized(server, 'confirmResize');
    server.confirming = true;
    this.#later(server, this.#timing.taskMs, () => {
      this.#set(server, { vmState: server.resizedFrom ?? 'active', oldFlavor: undefined, resizedFrom: undefined, confirming: undefined });
    });
  }

  revertResize(server: Server): void {
    this.#requireResized(server, 'revertResize');
    this.#task(server, 'resize_reverting', { vmState: server.resizedFrom ?? 'active', flavor: server.oldFlavor ?? server.flavor, oldFlavor: undefined, resizedFrom: undefined });
  }

  /** Any state: task_state deleting; its networks released and the server DELETED; then gone (404). */
  delete(server: Server): void {
    if (server.taskState === 'deleting') return;
    this.#set(server, { taskState: 'deleting', pending: undefined });
    this.#later(server, this.#timing.taskMs / 2, () => {
      this.#net.release(server);
      this.#set(server, { vmState: 'deleted', taskState: null, powerState: POWER.NOSTATE, terminatedAt: this.#clock.now() });
      this.#later(server, this.#timing.taskMs / 2, () => this.#state.servers.delete(server.id));
    });
  }

  /** Detaching is cast to the compute host: answered at once, done a task's time later. */
  detach(server: Server, portId: string): void {
    this.requireInterfaceChange(server, 'detach_interface');
    this.#clock.after(this.#timing.taskMs, () => {
      if (this.#state.servers.has(server.id)) this.#net.detach(server, portId);
    });
  }

  requireInterfaceChange(server: Server, action: 'attach_interface' | 'detach_interface'): void {
    this.#require(server, action, ['active', 'stopped'], [null]);
  }

  /** Metadata may change in any task, but not while building, resized or in error. */
  requireMetadataChange(server: Server, action: 'update metadata' | 'delete metadata'): void {
    this.#require(server, action, ['active', 'stopped'], ANY);
  }

  /** The tags API's own check: the vm_state alone. */
  requireTagChange(server: Server, action: 'update tags' | 'update tag' | 'delete tags' | 'delete tag'): void {
    this.#require(server, action, ['active', 'stopped'], ANY, false);
  }

  #requireResized(server: Server, action: string): void {
    this.#require(server, action, ['resized'], [null]);
    if (server.confirming) throw badRequest('Instance has not been resized.');
  }

  /** Nova's check_instance_state: vm_state, then task_state (undefined: any), then that it ever ran. */
  #require(server: Server, action: string, vmStates: VmState[], taskStates: (TaskState | null)[] | undefined, mustHaveLaunched = true): void {
    if (!vmStates.includes(server.vmState)) throw invalidState(action, server.id, 'vm_state', server.vmState);
    if (taskStates && !taskStates.includes(server.taskState)) throw invalidState(action, server.id, 'task_state', String(server.taskState));
    if (mustHaveLaunched && server.launchedAt === null) throw conflict(`Instance ${server.id} is in an invalid state for '${action}'`);
  }

  /** Sets the task now, and the outcome (task cleared) a task's time later. */
  #task(server: Server, task: TaskState, outcome: Partial<Server>): void {
    this.#set(server, { taskState: task });
    this.#later(server, this.#timing.taskMs, () => this.#set(server, { ...outcome, taskState: null }));
  }

  #buildFailed(server: Server, message: string): void {
    this.#set(server, { vmState: 'error', taskState: null, powerState: POWER.NOSTATE, host: null, availabilityZone: '', fault: this.#fault(message) });
  }

  #fault(message: string): Server['fault'] {
    return { code: 500, message, created: this.#clock.now() };
  }

  /** A state change: newer than any step still pending, which then finds itself superseded. */
  #set(server: Server, patch: Partial<Server>): void {
    Object.assign(server, patch);
    for (const [key, value] of Object.entries(patch)) if (value === undefined) delete (server as Record<string, unknown>)[key];
    server.updated = this.#clock.now();
    server.step++;
  }

  #later(server: Server, ms: number, fn: () => void): void {
    const step = server.step;
    this.#clock.after(ms, () => {
      if (server.step === step && this.#state.servers.get(server.id) === server) fn();
    });
  }
}
