// The installs of config/, rendered as `kubectl apply -k` would apply them.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadAll } from 'js-yaml';

export const ROOT = join(import.meta.dirname, '..', '..');

/** Every kustomization that is an install, by the directory users pass to `kubectl apply -k`. */
export const INSTALLS = ['config/default', 'config/overlays/namespaced', 'config/overlays/prometheus'];

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `kubectl kustomize <dir>`; asynchronous, so servers in the test process keep answering meanwhile. */
export async function render(dir: string): Promise<KubeObject[]> {
  const { stdout } = await promisify(execFile)('kubectl', ['kustomize', join(ROOT, dir)], { maxBuffer: 64 * 1024 * 1024 });
  return loadAll(stdout) as KubeObject[];
}

export interface Container {
  name: string;
  image: string;
  args?: string[];
}

/** The operator's Deployment of an install. */
export function deploymentOf(objects: KubeObject[]): KubeObject & { spec: { template: { spec: { containers: Container[]; serviceAccountName: string } } } } {
  const found = objects.filter((o) => o.kind === 'Deployment');
  if (found.length !== 1) throw new Error(`expected one Deployment, found ${found.length}`);
  return found[0] as ReturnType<typeof deploymentOf>;
}
