// The cloud's administrator in a scenario: what Neutron's default policy keeps from members (QoS
// policies). The backend's clouds.yaml has an administrator's entry beside the member's
// (dev/sim/openstack simCloudsYaml, test/real/openstack.sh).
import { Registry } from 'prom-client';
import { OpenStackClient } from '../../src/cloud/openstack/client.ts';
import { parseCloudsYaml } from '../../src/cloud/openstack/config.ts';
import { realCloud, type Scenario } from './harness.ts';

export const ADMIN_CLOUD = realCloud ? (process.env.CLOUDNET_REAL_ADMIN_CLOUD ?? 'real-admin') : 'sim-admin';

/** A cloud client of the test with the administrator's credentials, closed with the scenario. */
export function adminClient(s: Scenario): OpenStackClient {
  const client = new OpenStackClient({ cloud: parseCloudsYaml(s.backend.cloudsYaml, ADMIN_CLOUD), registry: new Registry(), retry: { maxAttempts: 1 } });
  s.releaseOnClose(async () => client.close());
  return client;
}

/** The ProviderConfig "admin": the administrator's entry of the scenario's credentials Secret, Ready. */
export async function adminProviderConfig(s: Scenario): Promise<void> {
  await s.apply({ kind: 'ProviderConfig', metadata: { name: 'admin' }, spec: { provider: 'openstack', openstack: { credentialsSecretRef: { name: 'cloud-credentials' }, cloud: ADMIN_CLOUD } } });
  await s.waitReady('ProviderConfig', 'admin');
}
