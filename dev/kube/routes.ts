import type { ResourceRegistry } from './registry.ts';
import type { ResourceType } from './types.ts';
import { pathNotFound } from './errors.ts';

export interface ResourceRoute {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/**
 * Maps `/api/v1/...` and `/apis/{group}/{version}/...` resource paths:
 * `[namespaces/{ns}/]{plural}[/{name}[/{subresource}]]`.
 */
export function resolveResource(registry: ResourceRegistry, segments: string[]): ResourceRoute {
  let group: string;
  let rest: string[];
  if (segments[0] === 'api' && segments[1] === 'v1') {
    group = '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1] ?? '';
    rest = segments.slice(3);
  } else throw pathNotFound();
  const version = group === '' ? 'v1' : (segments[2] ?? '');

  let namespace: string | undefined;
  // `namespaces/{ns}/{plural}` scopes a namespaced resource; `namespaces/{name}/status` is the Namespace's own subresource.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  const type = plural ? registry.find(group, version, plural) : undefined;
  if (!type || extra.length > 0) throw pathNotFound();
  if (namespace !== undefined && !type.namespaced) throw pathNotFound();
  if (namespace === undefined && name !== undefined && type.namespaced) throw pathNotFound();
  if (subresource !== undefined && !(subresource === 'status' && type.hasStatus)) throw pathNotFound();
  const route: ResourceRoute = { type };
  if (namespace !== undefined) route.namespace = namespace;
  if (name !== undefined) route.name = name;
  if (subresource !== undefined) route.subresource = subresource;
  return route;
}
