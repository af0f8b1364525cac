import { writeFile } from 'node:fs/promises';
import { dump } from 'js-yaml';

/**
 * A kubeconfig for the local server: cluster and context `local`, a dummy token (no auth here).
 * `insecure-skip-tls-verify` because @kubernetes/client-node 2 refuses plain http:// without it.
 */
export function kubeconfigYaml(url: string): string {
  return dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'local', cluster: { server: url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'local', user: { token: 'local-dev-token' } }],
    contexts: [{ name: 'local', context: { cluster: 'local', user: 'local', namespace: 'default' } }],
    'current-context': 'local',
    preferences: {},
  });
}

export async function writeKubeconfig(path: string, url: string): Promise<void> {
  await writeFile(path, kubeconfigYaml(url), { mode: 0o600 });
}
