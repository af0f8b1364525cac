import type { ResourceType } from './types.ts';

/**
 * Kubernetes version priority: GA before beta before alpha, higher numbers first, other strings last
 * (alphabetically), as discovery orders versions and picks the preferred one.
 */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number, string] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0, v];
    const stage = m[2] === undefined ? 0 : m[2] === 'beta' ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0), ''];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i += 1) {
    const d = (ra[i] as number) - (rb[i] as number);
    if (d !== 0) return d;
  }
  return ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : 0;
}

/** Every served group/version/resource; built-ins are fixed, CRDs come and go. */
export class ResourceRegistry {
  private readonly types = new Map<string, ResourceType>();
  /** Groups in the order they appeared, for discovery: built-in groups first, like the real server. */
  private readonly groupOrder: string[] = [];

  add(type: ResourceType): void {
    this.types.set(`${type.group}/${type.version}/${type.plural}`, type);
    if (!this.groupOrder.includes(type.group)) this.groupOrder.push(type.group);
  }

  /** Drops every version served from one storage bucket (a CRD's resources). */
  removeStorage(storageKey: string): void {
    for (const [key, type] of this.types) if (type.storageKey === storageKey) this.types.delete(key);
  }

  find(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.get(`${group}/${version}/${plural}`);
  }

  /** One served version of a bucket (any), e.g. to delete a CRD's objects. */
  anyVersionOf(storageKey: string): ResourceType | undefined {
    return [...this.types.values()].find((t) => t.storageKey === storageKey);
  }

  all(): ResourceType[] {
    return [...this.types.values()];
  }

  groups(): { name: string; versions: string[] }[] {
    return this.groupOrder
      .map((name) => {
        const versions = [...new Set(this.all().filter((t) => t.group === name).map((t) => t.version))];
        return { name, versions: versions.sort(compareVersions) };
      })
      .filter((g) => g.versions.length > 0);
  }

  resourcesIn(group: string, version: string): ResourceType[] {
    return this.all().filter((t) => t.group === group && t.version === version);
  }
}
