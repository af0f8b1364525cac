// A Network and a Subnet on it, from code: applies both through the cloudnet-operator/api library,
// waits until the operator has made them in the cloud, and prints their cloud IDs.
//
//   KUBECONFIG=$PWD/.dev/kubeconfig node examples/code/network-and-subnet.ts \
//     [--namespace default] [--provider-config openstack] [--timeout-ms 120000]
//
// --namespace and --provider-config may also come from CLOUDNET_NAMESPACE and
// CLOUDNET_PROVIDER_CONFIG; the namespace defaults to the kubeconfig context's. Running it again
// changes nothing (server-side apply), and prints the same IDs.
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { CloudnetClient, NotReadyError } from 'cloudnet-operator/api';

const { values } = parseArgs({
  options: {
    namespace: { type: 'string', default: process.env.CLOUDNET_NAMESPACE },
    'provider-config': { type: 'string', default: process.env.CLOUDNET_PROVIDER_CONFIG ?? 'openstack' },
    'timeout-ms': { type: 'string', default: '120000' },
  },
});

const kubeConfig = new KubeConfig();
kubeConfig.loadFromDefault(); // $KUBECONFIG, else ~/.kube/config, else the in-cluster service account
const client = new CloudnetClient(kubeConfig, { fieldManager: 'network-and-subnet-example' });
const namespace = values.namespace ?? client.defaultNamespace;
const providerConfigRef = { name: values['provider-config'] };

await client.apply('Network', {
  metadata: { name: 'example-net', namespace },
  spec: { providerConfigRef, resource: { description: 'made from code', tags: ['example'] } },
});
await client.apply('Subnet', {
  metadata: { name: 'example-subnet', namespace },
  spec: {
    providerConfigRef,
    resource: { networkRef: { name: 'example-net' }, ipVersion: 4, cidr: '10.20.0.0/24', tags: ['example'] },
  },
});

const wait = { timeoutMs: Number(values['timeout-ms']) };
try {
  const [network, subnet] = await Promise.all([
    client.waitForReady('Network', namespace, 'example-net', wait),
    client.waitForReady('Subnet', namespace, 'example-subnet', wait),
  ]);
  console.log(`Network ${namespace}/example-net: ${network.status?.id}`);
  console.log(`Subnet ${namespace}/example-subnet: ${subnet.status?.id} (${subnet.status?.resource?.cidr})`);
} catch (err) {
  if (!(err instanceof NotReadyError)) throw err;
  // Stalled says what to fix in the spec; a timeout shows what the object said last.
  console.error(err.message);
  process.exitCode = 1;
}
