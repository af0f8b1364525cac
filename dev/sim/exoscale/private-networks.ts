// Private networks: create, list, get, update, reset a field, delete. A network with start-ip, end-ip and
// netmask is managed (Exoscale's DHCP leases addresses of that range); the spec ties the three together
// nowhere, so the checks here are the ones the API surely makes (README: "Assumed").
import { randomUUID } from 'node:crypto';
import { json, notFound, refused, type SimResponse } from './errors.ts';
import { cidrText, ipv4, isContiguousMask, networkOf } from './ipv4.ts';
import type { Handler } from './handler.ts';
import type { PrivateNetwork, PrivateNetworkFields, Zone } from './zone.ts';

const FIELDS = ['name', 'description', 'start-ip', 'end-ip', 'netmask', 'labels', 'options'] as const;

/** The fields of a (schema-checked) body the API knows; others are ignored, as the API probably does. */
function fieldsOf(body: unknown): PrivateNetworkFields {
  const given = body as Record<string, unknown>;
  return structuredClone(Object.fromEntries(FIELDS.filter((f) => given[f] !== undefined).map((f) => [f, given[f]]))) as PrivateNetworkFields;
}

export type Range = { start: bigint; end: bigint; mask: bigint };

/** The DHCP range of a managed network; undefined for an unmanaged one. */
export function rangeOf(net: PrivateNetworkFields): Range | undefined {
  const [start, end, mask] = [net['start-ip'], net['end-ip'], net.netmask].map((ip) => (ip === undefined ? undefined : ipv4(ip)));
  return start === undefined || end === undefined || mask === undefined ? undefined : { start, end, mask };
}

/** 400 unless the managed fields come together and make a range within one network. */
function checkRange(net: PrivateNetworkFields): Range | undefined {
  const given = [net['start-ip'], net['end-ip'], net.netmask].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  const range = rangeOf(net);
  if (given < 3 || !range) throw refused(400, 'start-ip, end-ip and netmask must be set together (a managed network)');
  if (!isContiguousMask(range.mask)) throw refused(400, `netmask ${net.netmask} is not a valid netmask`);
  if (range.start > range.end) throw refused(400, `start-ip ${net['start-ip']} is after end-ip ${net['end-ip']}`);
  if (networkOf(range.end, range.mask) !== networkOf(range.start, range.mask)) {
    throw refused(400, `end-ip ${net['end-ip']} is outside the network ${cidrText(range.start, range.mask)} of start-ip`);
  }
  return range;
}

export function networkOr404(zone: Zone, id: string | undefined): PrivateNetwork {
  const net = zone.networks.get(id ?? '');
  if (!net) throw notFound(`private network ${id} not found`);
  return net;
}

/** The network as the API shows it: labels only when there are some, leases on managed networks. */
export function renderNetwork(net: PrivateNetwork): unknown {
  const { attachments, labels, ...fields } = net;
  return {
    ...fields,
    ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
    ...(rangeOf(net) ? { leases: [...attachments].filter(([, a]) => a.ip !== undefined).map(([instanceId, a]) => ({ ip: a.ip, 'instance-id': instanceId })) } : {}),
  };
}

/** 409 when the new fields would strand an attached instance: a lease outside the range, or none on a managed network. */
function checkAttachmentsFit(net: PrivateNetwork, range: Range | undefined): void {
  for (const [instanceId, a] of net.attachments) {
    const ip = a.ip === undefined ? undefined : ipv4(a.ip);
    if (range && (ip === undefined || ip < range.start || ip > range.end)) {
      throw refused(409, `private network ${net.id}: instance ${instanceId}${a.ip ? `'s lease ${a.ip}` : ', attached without a lease,'} would be outside the new range`);
    }
  }
}

export const privateNetworkHandlers: Record<string, Handler> = {
  'list-private-networks': ({ zone }) => json(200, { 'private-networks': [...zone.networks.values()].map(renderNetwork) }),

  'get-private-network': ({ zone, params }) => json(200, renderNetwork(networkOr404(zone, params.id))),

  'create-private-network': ({ zone, body }): SimResponse => {
    const fields = fieldsOf(body);
    checkRange(fields);
    const id = randomUUID();
    return zone.mutate('create-private-network', id, () => {
      zone.networks.set(id, { ...fields, name: fields.name ?? '', id, vni: zone.nextVni(), attachments: new Map() });
    });
  },

  // Fields given are replaced, `labels` and `options` as a whole.
  'update-private-network': ({ zone, params, body }) => {
    const net = networkOr404(zone, params.id);
    const fields = fieldsOf(body);
    const range = checkRange({ ...net, ...fields });
    checkAttachmentsFit(net, range);
    return zone.mutate('update-private-network', net.id, () => Object.assign(net, fields));
  },

  // The spec's enum of resettable fields is `labels` alone (the path parameter is checked against it).
  'reset-private-network-field': ({ zone, params }) => {
    const net = networkOr404(zone, params.id);
    return zone.mutate('reset-private-network-field', net.id, () => {
      delete net.labels;
    });
  },

  // Refused while instances are attached: the spec says nothing; a network in use is surely not deleted under them.
  'delete-private-network': ({ zone, params }) => {
    const net = networkOr404(zone, params.id);
    if (net.attachments.size > 0) {
      throw refused(409, `private network ${net.id} (${net.name}) is in use: attached to instance(s) ${[...net.attachments.keys()].join(', ')}`);
    }
    return zone.mutate('delete-private-network', net.id, () => zone.networks.delete(net.id));
  },
};
