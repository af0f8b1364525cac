// Attaching instances to private networks: on a managed network each attached instance holds a lease,
// the address asked for or the first free one of the range (lowest first: an assumption, the API does
// not say); on an unmanaged one no lease and no address may be asked for.
import { notFound, refused, type SimResponse } from './errors.ts';
import type { Context, Handler } from './handler.ts';
import { formatIpv4, ipv4 } from './ipv4.ts';
import { networkOr404, rangeOf, type Range } from './private-networks.ts';
import type { Instance, PrivateNetwork, Zone } from './zone.ts';

type AttachBody = { instance: { id?: string }; ip?: string };

function instanceOr404(zone: Zone, body: AttachBody): Instance {
  const id = body.instance.id;
  if (id === undefined) throw refused(400, 'instance.id is required');
  const instance = zone.instances.get(id);
  if (!instance) throw notFound(`instance ${id} not found`);
  return instance;
}

/** 400 outside the range, 409 when another instance holds it. */
function checkFree(net: PrivateNetwork, range: Range, ip: string, instanceId: string): void {
  const value = ipv4(ip);
  if (value === undefined || value < range.start || value > range.end) {
    throw refused(400, `IP address ${ip} is outside the range ${net['start-ip']}-${net['end-ip']} of private network ${net.id}`);
  }
  for (const [holder, a] of net.attachments) {
    if (holder !== instanceId && a.ip === ip) throw refused(409, `IP address ${ip} is already leased to instance ${holder} on private network ${net.id}`);
  }
}

function firstFree(net: PrivateNetwork, range: Range): string {
  const leased = new Set([...net.attachments.values()].map((a) => a.ip));
  for (let value = range.start; value <= range.end; value++) {
    const ip = formatIpv4(value);
    if (!leased.has(ip)) return ip;
  }
  throw refused(409, `private network ${net.id} has no free address left in ${net['start-ip']}-${net['end-ip']}`);
}

/** The network and the instance the three operations are about (404 for either unknown). */
function subject({ zone, params, body }: Context): { zone: Zone; net: PrivateNetwork; instance: Instance; body: AttachBody } {
  const net = networkOr404(zone, params.id);
  const attach = body as AttachBody;
  return { zone, net, instance: instanceOr404(zone, attach), body: attach };
}

export const attachmentHandlers: Record<string, Handler> = {
  'attach-instance-to-private-network': (ctx): SimResponse => {
    const { zone, net, instance, body } = subject(ctx);
    if (net.attachments.has(instance.id)) throw refused(409, `instance ${instance.id} is already attached to private network ${net.id}`);
    const range = rangeOf(net);
    if (!range && body.ip !== undefined) throw refused(400, `private network ${net.id} is not managed: no IP address can be leased on it`);
    if (range && body.ip !== undefined) checkFree(net, range, body.ip, instance.id);
    const ip = range ? (body.ip ?? firstFree(net, range)) : undefined;
    return zone.mutate('attach-instance-to-private-network', net.id, () => {
      net.attachments.set(instance.id, { ...(ip !== undefined ? { ip } : {}), mac: zone.nextMac() });
    });
  },

  'detach-instance-from-private-network': (ctx) => {
    const { zone, net, instance } = subject(ctx);
    if (!net.attachments.has(instance.id)) throw refused(409, `instance ${instance.id} is not attached to private network ${net.id}`);
    return zone.mutate('detach-instance-from-private-network', net.id, () => net.attachments.delete(instance.id));
  },

  'update-private-network-instance-ip': (ctx) => {
    const { zone, net, instance, body } = subject(ctx);
    const range = rangeOf(net);
    if (!range) throw refused(400, `private network ${net.id} is not managed: its instances have no IP address lease`);
    const attachment = net.attachments.get(instance.id);
    if (!attachment) throw refused(409, `instance ${instance.id} is not attached to private network ${net.id}`);
    if (body.ip === undefined) throw refused(400, 'ip is required');
    const ip = body.ip;
    checkFree(net, range, ip, instance.id);
    return zone.mutate('update-private-network-instance-ip', net.id, () => {
      attachment.ip = ip;
    });
  },
};
