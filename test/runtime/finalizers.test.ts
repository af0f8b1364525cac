import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ResourceClient } from '../../src/runtime/client.ts';
import { addFinalizer, FINALIZER, hasFinalizer, removeFinalizer } from '../../src/runtime/finalizers.ts';
import { patchStatus } from '../../src/runtime/status.ts';

type Obj = KubernetesObject & { status?: Record<string, unknown> };

class ConflictError extends Error {
  code = 409;
}

/**
 * An in-memory object store with the API server's merge-patch precondition: a patch carrying a
 * stale metadata.resourceVersion is refused with 409. `interfere` runs before each patch, to
 * simulate another writer.
 */
function fakeClient(initial: Obj, interfere: (obj: Obj) => void = () => {}) {
  const stored: Obj = structuredClone(initial);
  let rv = Number(initial.metadata!.resourceVersion);
  const patches: Record<string, unknown>[] = [];
  const write = (body: Record<string, unknown>, apply: (obj: Obj) => void) => {
    patches.push(body);
    interfere(stored);
    const wanted = (body.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
    if (wanted !== undefined && wanted !== stored.metadata!.resourceVersion) throw new ConflictError('conflict');
    apply(stored);
    stored.metadata!.resourceVersion = String(++rv);
    return structuredClone(stored);
  };
  const client = {
    get: async () => structuredClone(stored),
    patch: async (_ns: string | undefined, _name: string, body: Record<string, unknown>) =>
      write(body, (obj) => (obj.metadata!.finalizers = (body.metadata as { finalizers: string[] }).finalizers)),
    patchStatus: async (_ns: string | undefined, _name: string, body: Record<string, unknown>) =>
      write(body, (obj) => (obj.status = { ...obj.status, ...(body.status as object) })),
  } as unknown as ResourceClient<Obj>;
  return {
    client,
    patches,
  };
}

const network = (): Obj => ({ apiVersion: 'cloudnet.io/v1alpha1', kind: 'Network', metadata: { name: 'n', namespace: 'a', resourceVersion: '5', finalizers: ['other/keep'] } });

class NotFoundError extends Error {
  code = 404;
}

/** A client whose object was deleted meanwhile: every write answers 404. */
const goneClient = {
  get: async () => undefined,
  patch: async () => {
    throw new NotFoundError('not found');
  },
  patchStatus: async () => {
    throw new NotFoundError('not found');
  },
} as unknown as ResourceClient<Obj>;

describe('finalizers', () => {
  it('treats an object deleted meanwhile as done: removing its finalizer or patching its status returns undefined', async () => {
    const deleting = { ...network(), metadata: { ...network().metadata, finalizers: [FINALIZER] } };
    await expect(removeFinalizer(goneClient, deleting)).resolves.toBeUndefined();
    await expect(patchStatus(goneClient, deleting, () => ({ phase: 'x' }))).resolves.toBeUndefined();
  });

  it('adds the finalizer once, conditional on the resourceVersion it read', async () => {
    const fake = fakeClient(network());
    const updated = await addFinalizer(fake.client, network());
    expect(updated?.metadata?.finalizers).toEqual(['other/keep', FINALIZER]);
    expect(fake.patches).toEqual([{ metadata: { finalizers: ['other/keep', FINALIZER], resourceVersion: '5' } }]);
    await addFinalizer(fake.client, updated!);
    expect(fake.patches).toHaveLength(1);
    expect(hasFinalizer(updated!)).toBe(true);
  });

  it('on a conflict refetches and keeps what another writer added', async () => {
    let interfered = false;
    const fake = fakeClient(network(), (obj) => {
      if (interfered) return;
      interfered = true;
      obj.metadata!.finalizers = [...obj.metadata!.finalizers!, 'third/party'];
      obj.metadata!.resourceVersion = '6';
    });
    const updated = await addFinalizer(fake.client, network());
    expect(updated?.metadata?.finalizers).toEqual(['other/keep', 'third/party', FINALIZER]);
    expect(fake.patches).toHaveLength(2);
  });

  it('removes only its own finalizer', async () => {
    const obj = { ...network(), metadata: { ...network().metadata, finalizers: ['other/keep', FINALIZER] } };
    const fake = fakeClient(obj);
    const updated = await removeFinalizer(fake.client, obj);
    expect(updated?.metadata?.finalizers).toEqual(['other/keep']);
    await removeFinalizer(fake.client, updated!);
    expect(fake.patches).toHaveLength(1);
  });

  it('gives up after the bounded number of conflicts', async () => {
    const fake = fakeClient(network(), (obj) => {
      obj.metadata!.resourceVersion = String(Number(obj.metadata!.resourceVersion) + 100);
    });
    await expect(addFinalizer(fake.client, network(), FINALIZER, 3)).rejects.toMatchObject({ code: 409 });
    expect(fake.patches).toHaveLength(3);
  });
});

describe('patchStatus', () => {
  it('recomputes the status from the fresh object after a 409', async () => {
    let interfered = false;
    const fake = fakeClient({ ...network(), status: { id: 'abc' } }, (obj) => {
      if (interfered) return;
      interfered = true;
      obj.metadata!.resourceVersion = '9';
      obj.status = { ...obj.status, lastSyncTime: 'x' };
    });
    const seen: string[] = [];
    const updated = await patchStatus(fake.client, { ...network(), status: { id: 'abc' } }, (current) => {
      seen.push(current.metadata!.resourceVersion!);
      return { observedGeneration: 2 };
    });
    expect(seen).toEqual(['5', '9']);
    expect(updated?.status).toEqual({ id: 'abc', lastSyncTime: 'x', observedGeneration: 2 });
  });

  it('does not write when there is nothing to write', async () => {
    const fake = fakeClient(network());
    expect(await patchStatus(fake.client, network(), () => undefined)).toBeUndefined();
    expect(fake.patches).toHaveLength(0);
  });
});
