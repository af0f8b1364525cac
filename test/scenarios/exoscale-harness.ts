// Exoscale scenarios: the Exoscale simulator (there is no real Exoscale here), the API key Secret, the
// ProviderConfig "exoscale" on the simulator's zone endpoint, and the operator. Every exchange the
// operator had with the simulator is checked against Exoscale's OpenAPI spec when the scenario closes.
import { GROUP, VERSION } from '../../src/api/kind.ts';
import { DEFAULT_CREDENTIALS, startExoscaleSim, type CallLog, type ExoscaleSim, type ExoscaleSimOptions, type Faults } from '../../dev/sim/exoscale/index.ts';
import { expectCallsValid } from '../support/exoscale-spec.ts';
import { FAST, ScenarioBase, useScenarioLifecycle, type Cluster, type Obj, type ScenarioOptions } from './harness.ts';
import { testCredential } from './secret-leaks.ts';

export const ZONE = 'ch-gva-2';

export type ExoscaleScenarioOptions = Omit<ScenarioOptions, 'sim'> & { sim?: ExoscaleSimOptions };

/** Operations polled every 30 ms instead of 3 s: the schedule's shape, scaled down. */
const FAST_OPERATIONS: ScenarioOptions['controllers'] = { cloud: { ...FAST.cloud, operationPollMs: 30 } };

export class ExoscaleScenario extends ScenarioBase {
  readonly sim: ExoscaleSim;

  private constructor(cluster: Cluster, sim: ExoscaleSim, options: ExoscaleScenarioOptions) {
    super(cluster, { ...options, controllers: { ...FAST_OPERATIONS, ...options.controllers } });
    this.sim = sim;
  }

  static async start(cluster: Cluster, options: ExoscaleScenarioOptions = {}): Promise<ExoscaleScenario> {
    // An API secret the leak check can tell from anything else.
    const credentials = [{ key: DEFAULT_CREDENTIALS.key, secret: testCredential('exoscale') }];
    const scenario = new ExoscaleScenario(cluster, await startExoscaleSim({ credentials, ...options.sim }), options);
    const { key, secret } = scenario.sim.credentials;
    await scenario.setUp({ metadata: { name: 'exoscale-credentials' }, stringData: { apiKey: key, apiSecret: secret } }, 'exoscale');
    return scenario;
  }

  /** The ProviderConfig "exoscale" for the simulator's zone, with `extra` in its spec. */
  override applyProviderConfig(extra: Record<string, unknown> = {}): Promise<Obj> {
    return this.apply({
      apiVersion: `${GROUP}/${VERSION}`,
      kind: 'ProviderConfig',
      metadata: { name: 'exoscale' },
      spec: {
        provider: 'exoscale',
        exoscale: {
          zone: ZONE,
          endpoint: this.sim.endpoint(ZONE),
          apiKeySecretRef: { name: 'exoscale-credentials', key: 'apiKey' },
          apiSecretSecretRef: { name: 'exoscale-credentials', key: 'apiSecret' },
        },
        ...extra,
      },
    });
  }

  get faults(): Faults {
    return this.sim.faults;
  }

  get calls(): CallLog {
    return this.sim.calls;
  }

  get zone() {
    return this.sim.zone(ZONE);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.sim.close();
    expectCallsValid(this.sim.calls);
  }
}

export const useExoscaleScenarios = (): { start(options?: ExoscaleScenarioOptions): Promise<ExoscaleScenario> } => useScenarioLifecycle(ExoscaleScenario.start);

/** A PrivateNetwork on the ProviderConfig "exoscale". */
export function privateNetwork(name: string, spec: Record<string, unknown>): Obj {
  return { apiVersion: `${GROUP}/${VERSION}`, kind: 'PrivateNetwork', metadata: { name }, spec: { providerConfigRef: { name: 'exoscale' }, ...spec } };
}
