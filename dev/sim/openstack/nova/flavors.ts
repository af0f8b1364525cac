// Flavors: the real tier's m1.tiny and m1.small by default, shown as Nova shows them at each microversion.
import { links, paginate, type NovaContext } from './context.ts';
import { flavorNotFound } from './errors.ts';
import type { Flavor } from './model.ts';
import type { Obj } from './schema.ts';

/** A flavor to seed: the fields Nova requires, the rest defaulted as `openstack flavor create` does. */
export type SimFlavor = Pick<Flavor, 'id' | 'name' | 'ram' | 'vcpus' | 'disk'> & Partial<Flavor>;

/** As test/real/openstack.sh seeds them: m1.tiny, m1.small to resize to, and m1.nohost that no host can take. */
export const DEFAULT_FLAVORS: SimFlavor[] = [
  { id: '1', name: 'm1.tiny', ram: 64, vcpus: 1, disk: 1 },
  { id: '2', name: 'm1.small', ram: 128, vcpus: 1, disk: 1 },
  { id: '3', name: 'm1.nohost', ram: 64, vcpus: 1, disk: 1, extraSpecs: { 'trait:CUSTOM_CLOUDNET_NOHOST': 'required' } },
];

export const flavorOf = (f: SimFlavor): Flavor => ({ ephemeral: 0, swap: 0, isPublic: true, description: null, extraSpecs: {}, ...f });

/** The flavor a request names: 404 for GET /flavors/{id}; create and resize turn it into a 400. */
export function findFlavor(flavors: Map<string, Flavor>, id: string, isAdmin: boolean): Flavor {
  const flavor = flavors.get(id);
  if (!flavor || !(flavor.isPublic || isAdmin)) throw flavorNotFound(id);
  return flavor;
}

/** A flavor in a list (`brief`) or in full; swap is "" before 2.75, description from 2.55, extra_specs from 2.61. */
export function flavorView(ctx: NovaContext, f: Flavor, brief: boolean): Obj {
  const v = ctx.version;
  const description = v.atLeast('2.55') ? { description: f.description } : {};
  if (brief) return { id: f.id, name: f.name, links: links(ctx, 'flavors', f.id), ...description };
  return {
    id: f.id,
    name: f.name,
    ram: f.ram,
    disk: f.disk,
    swap: v.atLeast('2.75') ? f.swap : f.swap || '',
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'OS-FLV-DISABLED:disabled': false,
    vcpus: f.vcpus,
    'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: 1.0,
    links: links(ctx, 'flavors', f.id),
    ...description,
    ...(v.atLeast('2.61') ? { extra_specs: { ...f.extraSpecs } } : {}),
  };
}

/** GET /flavors[/detail]: by flavor id, public ones (an admin's is_public=None: all), minDisk and minRam. */
export function listFlavors(ctx: NovaContext, flavors: Map<string, Flavor>, detail: boolean): Obj {
  const q = ctx.query;
  const isPublic = q.get('is_public')?.toLowerCase();
  const minDisk = Number(q.get('minDisk') ?? 0);
  const minRam = Number(q.get('minRam') ?? 0);
  const selected = [...flavors.values()]
    .filter((f) => (ctx.caller.isAdmin && (isPublic === 'none' || isPublic === 'false') ? isPublic === 'none' || !f.isPublic : f.isPublic))
    .filter((f) => f.disk >= minDisk && f.ram >= minRam)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const { page, links: pageLinks } = paginate(ctx, detail ? 'flavors/detail' : 'flavors', selected, (f) => f.id);
  return { flavors: page.map((f) => flavorView(ctx, f, !detail)), ...(pageLinks ? { flavors_links: pageLinks } : {}) };
}
