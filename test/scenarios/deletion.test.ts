// Deletion always ends or says why: a cloud that refuses a delete leaves the object with
// Ready=False/DeleteBlocked and the cloud's words, retried with backoff, never in a loop; the way
// out (deletionPolicy: Orphan) lets go. Importing a network other projects use as Managed warns.
import { describe, expect, it } from 'vitest';
import { maxAttempts } from '../support/backoff.ts';
import { condition, FAST, manifest, until, useScenarios } from './harness.ts';

const { start } = useScenarios();

const PUBLIC = { import: { filter: { name: 'public', external: true } } };

describe('deletion the cloud refuses', () => {
  it('a network in use by a port the operator does not manage: DeleteBlocked with the cloud message, retried with backoff, done once the port goes', async () => {
    const s = await start();
    await s.apply(manifest('Network', 'held', { resource: {} }));
    const id = (await s.waitReady('Network', 'held')).status!.id as string;
    const port = await s.cloud.neutron.ports.create({ network_id: id, name: 'not-ours' });
    s.releaseOnClose(() => s.cloud.neutron.ports.delete(port.id), { beforeObjects: true });

    const deletes = () => s.calls.count({ method: 'DELETE', path: new RegExp(`/networks/${id}$`) });
    const startedAt = Date.now();
    await s.delete('Network', 'held');
    const blocked = await s.waitCondition('Network', 'held', 'Ready', 'False', 'DeleteBlocked');
    expect(condition(blocked, 'Ready')?.message).toMatch(/the cloud refuses the delete for now: network deleteNetwork: 409 NetworkInUse: .*; next attempt at /);
    expect(condition(blocked, 'Reconciling')).toMatchObject({ status: 'True', reason: 'DeleteBlocked' });
    await s.waitEvent('held', 'DeleteBlocked');

    // Retried, but no hot loop: by the fifth attempt, at most the attempts the scenarios' backoff
    // schedule allows in the time that passed.
    await until('five delete attempts', () => deletes() >= 5 || undefined, 20_000);
    expect(deletes()).toBeLessThanOrEqual(maxAttempts(Date.now() - startedAt, { factor: 2, floorMs: 100, capMs: 2000, ...FAST.backoff }));

    await s.cloud.neutron.ports.delete(port.id);
    await s.waitGone('Network', 'held', 30_000);
    expect(await s.cloud.neutron.networks.get(id)).toBeUndefined();
  });

  it('the external network imported as Managed: a warning at import, a delete the cloud forbids is DeleteBlocked, and Orphan lets go', async () => {
    const s = await start();
    const [external] = await s.cloud.neutron.networks.list({ filters: { name: 'public', 'router:external': true } });
    const original = external!.tags;
    // Whatever happens in the test, the network is let go, not deleted, and keeps none of our marks.
    s.releaseOnClose(async () => (await s.get('Network', 'public')) && s.apply(manifest('Network', 'public', { ...PUBLIC, resource: {}, deletionPolicy: 'Orphan' })), { beforeObjects: true });
    await s.apply(manifest('Network', 'public', { ...PUBLIC, resource: {} }));
    const warning = await s.waitEvent('public', 'ImportedShared');
    expect(warning).toMatchObject({ type: 'Warning' });
    expect(warning.message).toMatch(/is an external network, which other projects route to; .*import it with ObserveOnly, or set deletionPolicy: Orphan/);
    // Zed lets the project mark the admin's network (newer Neutron refuses: ImportNotManageable, see test/reconcile).
    const id = (await s.waitReady('Network', 'public')).status!.id as string;

    await s.delete('Network', 'public');
    const blocked = await s.waitCondition('Network', 'public', 'Ready', 'False', 'DeleteBlocked');
    expect(condition(blocked, 'Ready')?.message).toMatch(/the cloud refuses the delete: network deleteNetwork: 403 .*; to let go, set spec.deletionPolicy: Orphan/);
    expect(condition(blocked, 'Stalled')).toMatchObject({ status: 'True', reason: 'DeleteBlocked' });

    await s.apply(manifest('Network', 'public', { ...PUBLIC, resource: {}, deletionPolicy: 'Orphan' }));
    await s.waitGone('Network', 'public', 30_000);
    expect(await s.cloud.neutron.networks.get(id)).toMatchObject({ id, 'router:external': true, tags: original.filter((t) => !t.startsWith('cloudnet-')) });
  });
});
