// The example topology of examples/openstack/ as a scenario applies it: the files as they are, but
// the Secret's clouds.yaml (written for the simulator of `make dev` on its fixed port) replaced by the
// scenario's cloud and the ProviderConfig pointed at its entry.
import { readdirSync, readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { until, type Backend, type Obj, type Scenario } from './harness.ts';

const EXAMPLES = new URL('../../examples/openstack/', import.meta.url);

export type Manifest = Obj & { kind: string; metadata: { name: string }; stringData?: Record<string, string> };

export interface Example {
  /** The example's file name, e.g. 04-subnet.yaml. */
  file: string;
  manifest: Manifest;
}

/** `Kind/name`, as kubectl names an object. */
export const keyOf = ({ manifest }: Example): string => `${manifest.kind}/${manifest.metadata.name}`;

/** The example files in name order, for `backend`; without the Server and its FloatingIP when there is no Nova. */
export function examples(backend: Pick<Backend, 'cloudsYaml' | 'cloudName'>, options: { servers: boolean }): Example[] {
  const out: Example[] = [];
  for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort()) {
    const manifest = load(readFileSync(new URL(file, EXAMPLES), 'utf8')) as Manifest;
    if (manifest.kind === 'Secret') manifest.stringData = { 'clouds.yaml': backend.cloudsYaml };
    if (manifest.kind === 'ProviderConfig') manifest.spec!.openstack.cloud = backend.cloudName;
    const server = manifest.kind === 'Server' || manifest.spec?.resource?.serverRef !== undefined;
    if (options.servers || !server) out.push({ file, manifest });
  }
  return out;
}

/** The examples bring their own Secret and ProviderConfig: removes the harness's, which have other names. */
export async function withoutHarnessCredentials(s: Scenario): Promise<void> {
  await s.delete('ProviderConfig', 'openstack');
  await s.waitGone('ProviderConfig', 'openstack');
  await s.cluster.core.deleteNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' });
  await until('the harness Secret is gone', () => s.cluster.core.readNamespacedSecret({ namespace: s.namespace, name: 'cloud-credentials' }).then(() => false, () => true));
}
