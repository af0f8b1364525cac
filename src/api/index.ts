// Every kind the operator serves. The CRD generator and the manager iterate these lists.
import { floatingIP } from './floatingip.ts';
import { network } from './network.ts';
import { port } from './port.ts';
import { privateNetwork } from './privatenetwork.ts';
import { providerConfig } from './providerconfig.ts';
import { qosPolicy } from './qospolicy.ts';
import { router } from './router.ts';
import { securityGroup } from './securitygroup.ts';
import { server } from './server.ts';
import { subnet } from './subnet.ts';

/** Cloud resources, in dependency order (a kind only references kinds before it, or itself). */
export const managedKinds = [qosPolicy, network, subnet, router, securityGroup, port, server, floatingIP, privateNetwork] as const;
export const kinds = [providerConfig, ...managedKinds] as const;

export { floatingIP, network, port, privateNetwork, providerConfig, qosPolicy, router, securityGroup, server, subnet };
