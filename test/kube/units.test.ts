import { describe, expect, it } from 'vitest';
import { parseFieldSelector, parseLabelSelector } from '../../dev/kube/selectors.ts';
import { evaluateJsonPath } from '../../dev/kube/jsonpath.ts';
import { humanDuration } from '../../dev/kube/time.ts';
import { duplicateFields } from '../../dev/kube/duplicate-fields.ts';
import { mergePatch, strategicMerge } from '../../dev/kube/patch.ts';
import { compareVersions } from '../../dev/kube/registry.ts';
import type { KubeObject } from '../../dev/kube/types.ts';

const obj = (labels: Record<string, string>, name = 'n', namespace = 'ns'): KubeObject => ({ metadata: { name, namespace, labels } });

describe('selectors', () => {
  it('evaluates label selector operators', () => {
    const o = obj({ env: 'prod', tier: 'web' });
    expect(parseLabelSelector('env=prod,tier==web')(o)).toBe(true);
    expect(parseLabelSelector('env!=prod')(o)).toBe(false);
    expect(parseLabelSelector('env in (dev, prod)')(o)).toBe(true);
    expect(parseLabelSelector('env notin (prod)')(o)).toBe(false);
    expect(parseLabelSelector('owner')(o)).toBe(false);
    expect(parseLabelSelector('!owner')(o)).toBe(true);
    expect(parseLabelSelector('missing!=x')(o)).toBe(true);
    expect(() => parseLabelSelector('a b c')).toThrow(/unable to parse requirement/);
  });

  it('supports metadata.name and metadata.namespace field selectors only', () => {
    expect(parseFieldSelector('metadata.name=n,metadata.namespace!=other')(obj({}))).toBe(true);
    expect(() => parseFieldSelector('spec.x=1')).toThrow('"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
  });
});

describe('printer column helpers', () => {
  it('evaluates the JSONPath forms printer columns use', () => {
    const o = { status: { conditions: [{ type: 'Synced', status: 'False' }, { type: 'Ready', status: 'True' }] }, metadata: { labels: { 'app.kubernetes.io/name': 'x' } } };
    expect(evaluateJsonPath('.status.conditions[?(@.type=="Ready")].status', o)).toEqual(['True']);
    expect(evaluateJsonPath('.status.conditions[*].type', o)).toEqual(['Synced', 'Ready']);
    expect(evaluateJsonPath('.status.conditions[0].type', o)).toEqual(['Synced']);
    expect(evaluateJsonPath(".metadata.labels['app.kubernetes.io/name']", o)).toEqual(['x']);
    expect(evaluateJsonPath('.spec.missing', o)).toEqual([]);
  });

  it('renders ages like duration.HumanDuration', () => {
    const s = 1000;
    expect(humanDuration(5 * s)).toBe('5s');
    expect(humanDuration(119 * s)).toBe('119s');
    expect(humanDuration(5 * 60 * s + 3 * s)).toBe('5m3s');
    expect(humanDuration(5 * 60 * s)).toBe('5m');
    expect(humanDuration(42 * 60 * s)).toBe('42m');
    expect(humanDuration(5 * 3600 * s + 30 * 60 * s)).toBe('5h30m');
    expect(humanDuration(30 * 3600 * s)).toBe('30h');
    expect(humanDuration(3 * 86400 * s + 4 * 3600 * s)).toBe('3d4h');
    expect(humanDuration(400 * 86400 * s)).toBe('400d');
    expect(humanDuration(-5 * s)).toBe('<invalid>');
  });
});

describe('request decoding and patches', () => {
  it('finds duplicate JSON keys with their paths', () => {
    expect(duplicateFields('{"a":1,"spec":{"x":[{"k":1,"k":2}],"y":"}","y":2},"a":3}')).toEqual(['spec.x[0].k', 'spec.y', 'a']);
    expect(duplicateFields('{"a":"\\"","b":[1,2]}')).toEqual([]);
  });

  it('merges per RFC 7386 and strategic merge directives', () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: null }, l: [2] })).toEqual({ a: { c: 2 }, l: [2] });
    expect(strategicMerge({ a: { b: 1, c: 2 }, d: 1 }, { a: { $patch: 'delete' }, $setElementOrder: [] })).toEqual({ d: 1 });
    expect(strategicMerge({ spec: { a: 1, b: 2 } }, { spec: { $retainKeys: ['a', 'c'], c: 3 } })).toEqual({ spec: { a: 1, c: 3 } });
    expect(strategicMerge({ metadata: { ownerReferences: [{ uid: '1', name: 'a' }] } }, { metadata: { ownerReferences: [{ uid: '2', name: 'b' }, { uid: '1', $patch: 'delete' }] } }))
      .toEqual({ metadata: { ownerReferences: [{ uid: '2', name: 'b' }] } });
  });

  it('orders versions by Kubernetes priority', () => {
    expect(['v1alpha1', 'v2', 'v1beta2', 'v1', 'v1beta1', 'foo', 'v2alpha1'].sort(compareVersions)).toEqual(['v2', 'v1', 'v1beta2', 'v1beta1', 'v2alpha1', 'v1alpha1', 'foo']);
  });
});
