import { describe, expect, it } from 'vitest';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Cache, objectKey, splitKey } from '../../src/runtime/cache.ts';

type Subnet = KubernetesObject & { spec: { networkRef: { name: string } } };
const subnet = (name: string, network: string, namespace = 'a'): Subnet => ({ metadata: { name, namespace }, spec: { networkRef: { name: network } } });

describe('Cache', () => {
  it('gets and lists by namespace', () => {
    const cache = new Cache<Subnet>();
    cache.upsert(subnet('s1', 'n1'));
    cache.upsert(subnet('s2', 'n1', 'b'));
    expect(cache.get('a', 's1')?.spec.networkRef.name).toBe('n1');
    expect(cache.get('b', 's1')).toBeUndefined();
    expect(cache.list('b').map(objectKey)).toEqual(['b/s2']);
    expect(cache.list()).toHaveLength(2);
  });

  it('keeps named indexes current across updates and deletes', () => {
    const cache = new Cache<Subnet>();
    cache.upsert(subnet('s1', 'n1'));
    cache.addIndex('network', (s) => [`${s.metadata?.namespace}/${s.spec.networkRef.name}`]);
    cache.upsert(subnet('s2', 'n1'));
    expect(cache.byIndex('network', 'a/n1').map(objectKey).sort()).toEqual(['a/s1', 'a/s2']);
    cache.upsert(subnet('s1', 'n2'));
    expect(cache.byIndex('network', 'a/n1').map(objectKey)).toEqual(['a/s2']);
    expect(cache.byIndex('network', 'a/n2').map(objectKey)).toEqual(['a/s1']);
    cache.remove('a/s2');
    expect(cache.byIndex('network', 'a/n1')).toEqual([]);
    expect(() => cache.byIndex('nope', 'x')).toThrow(/no index/);
    expect(() => cache.addIndex('network', () => [])).toThrow(/already exists/);
  });

  it('keys objects as namespace/name', () => {
    expect(splitKey('a/b')).toEqual({ namespace: 'a', name: 'b' });
    expect(splitKey('cluster-scoped')).toEqual({ namespace: undefined, name: 'cluster-scoped' });
  });
});
