// Every kind by its name, with its TS types derived from its schema in src/api: what the
// library's calls take and return for `create('Network', ...)`.
import { kinds } from '../api/index.ts';
import type { ManifestOf, ObjectOf } from '../api/kind.ts';
import type { ResourceType } from '../runtime/client.ts';

type Definition = (typeof kinds)[number];

/** The name of a kind: 'Network', 'Subnet', ..., 'ProviderConfig'. */
export type KindName = Definition['kind'];

type DefinitionOf<K extends KindName> = Extract<Definition, { kind: K }>;

/** An object of kind K as the API server returns it (defaults applied). */
export type ObjectOfKind<K extends KindName> = ObjectOf<DefinitionOf<K>>;

/** An object of kind K as a user writes it (defaulted fields optional). */
export type ManifestOfKind<K extends KindName> = ManifestOf<DefinitionOf<K>>;

/** What create and apply take: a manifest whose apiVersion and kind may be left out (the kind argument says them). */
export type NewObject<K extends KindName> = Omit<ManifestOfKind<K>, 'apiVersion' | 'kind' | 'status'> &
  Partial<Pick<ManifestOfKind<K>, 'apiVersion' | 'kind'>>;

const resources = new Map<string, ResourceType>(
  kinds.map(({ kind, plural, crd }) => [
    kind,
    { group: crd.spec.group, version: crd.spec.versions[0]!.name, plural, kind, namespaced: crd.spec.scope === 'Namespaced' },
  ]),
);

/** The API resource of a kind; throws on a name no schema defines (a caller without the types). */
export function resourceOf(kind: KindName): ResourceType {
  const resource = resources.get(kind);
  if (!resource) throw new Error(`unknown kind ${String(kind)}: one of ${[...resources.keys()].join(', ')}`);
  return resource;
}
