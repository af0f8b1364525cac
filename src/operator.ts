// The composition root: the clouds and kinds this operator serves. The only module that knows them
// all; the generic layers below (src/reconcile, src/runtime) know none.
import { managedKinds } from './api/index.ts';
import { exoscale } from './providers/exoscale.ts';
import { openstack } from './providers/openstack.ts';
import type { AnyAdapter } from './reconcile/adapter.ts';
import { createControllers, type ControllersOptions } from './reconcile/index.ts';
import type { ControllerDefinition } from './manager.ts';
import { floatingIP } from './resources/floatingip.ts';
import { network } from './resources/network.ts';
import { port } from './resources/port.ts';
import { privateNetwork } from './resources/privatenetwork-exoscale.ts';
import { privateNetworkOnOpenStack } from './resources/privatenetwork-openstack.ts';
import { qosPolicy } from './resources/qospolicy.ts';
import { router } from './resources/router.ts';
import { securityGroup } from './resources/securitygroup.ts';
import { server } from './resources/server.ts';
import { subnet } from './resources/subnet.ts';

export const providers = [openstack, exoscale];

/** The adapters of each kind of src/api, one per cloud it is served on (the compiler checks that none is missing). */
const adapterOf = {
  QoSPolicy: qosPolicy,
  Network: network,
  Subnet: subnet,
  Router: router,
  SecurityGroup: securityGroup,
  Port: port,
  Server: server,
  FloatingIP: floatingIP,
  PrivateNetwork: [privateNetwork, privateNetworkOnOpenStack],
} satisfies Record<(typeof managedKinds)[number]['kind'], AnyAdapter | AnyAdapter[]>;

/** The adapters in the dependency order of src/api managedKinds. */
export const adapters: AnyAdapter[] = managedKinds.flatMap((k): AnyAdapter | AnyAdapter[] => adapterOf[k.kind]);

/** What tunes the operator's controllers (tests shorten backoffs and timeouts, or serve other adapters). */
export type OperatorOptions = Omit<ControllersOptions, 'providers' | 'adapters'> & Partial<Pick<ControllersOptions, 'adapters'>>;

export function operatorControllers(options: OperatorOptions = {}): ControllerDefinition[] {
  return createControllers({ providers, adapters, ...options });
}
