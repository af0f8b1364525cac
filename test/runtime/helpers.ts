import { KubeConfig } from '@kubernetes/client-node';
import { until } from '../support/wait.ts';
import { crdManifests } from '../../dev/crds.ts';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';
import { startKubeApiServer, type KubeApiServer, type KubeApiServerOptions } from '../../dev/kube/server.ts';

export interface LocalCluster {
  server: KubeApiServer;
  kubeConfig: KubeConfig;
  kubeconfigYaml: string;
}

/** The local API server on 127.0.0.1 with an ephemeral port, and a KubeConfig for it. */
export async function startCluster(options: KubeApiServerOptions = {}): Promise<LocalCluster> {
  const server = await startKubeApiServer({ host: '127.0.0.1', port: 0, ...options });
  return { server, kubeConfig: kubeConfigFor(server.url), kubeconfigYaml: kubeconfigYaml(server.url) };
}

/** A KubeConfig for a plain-HTTP test server. */
export function kubeConfigFor(url: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigYaml(url));
  return kubeConfig;
}


/**
 * Installs every CRD of crds/ and waits until each is served. Raw JSON: client-node's typed
 * serializer drops keys it has other names for (default, x-kubernetes-*).
 */
export async function installCrds(url: string): Promise<void> {
  for (const { file, crd: manifest } of crdManifests()) {
    const crd = manifest as { spec: { group: string; names: { plural: string }; versions: { name: string }[] } };
    const created = await fetch(`${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(crd),
    });
    if (!created.ok) throw new Error(`installing ${file}: ${created.status} ${await created.text()}`);
    const { group, names, versions } = crd.spec;
    const collection = `${url}/apis/${group}/${versions[0]!.name}/${names.plural}`;
    await until(`${names.plural} served`, async () => (await fetch(collection)).ok);
  }
}
