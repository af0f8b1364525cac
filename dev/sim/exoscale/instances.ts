// Instances, enough to attach: seeded by tests (Zone.addInstance), listed and shown with their private
// networks; the list's filters (manager, ip-address, labels) are not simulated.
import { json, notFound } from './errors.ts';
import type { Handler } from './handler.ts';
import type { Instance, Zone } from './zone.ts';

export function renderInstance(zone: Zone, instance: Instance): unknown {
  const networks = [...zone.networks.values()].flatMap((net) => {
    const attachment = net.attachments.get(instance.id);
    return attachment ? [{ id: net.id, 'mac-address': attachment.mac }] : [];
  });
  return { id: instance.id, name: instance.name, state: instance.state, 'created-at': instance.createdAt, 'private-networks': networks };
}

export const instanceHandlers: Record<string, Handler> = {
  'list-instances': ({ zone }) => json(200, { instances: [...zone.instances.values()].map((i) => renderInstance(zone, i)) }),

  'get-instance': ({ zone, params }) => {
    const instance = zone.instances.get(params.id ?? '');
    if (!instance) throw notFound(`instance ${params.id} not found`);
    return json(200, renderInstance(zone, instance));
  },
};
