// One adapter per managed kind, in the order of src/api managedKinds.
import type { AnyAdapter } from '../reconcile/adapter.ts';
import { floatingIP } from './floatingip.ts';
import { network } from './network.ts';
import { port } from './port.ts';
import { router } from './router.ts';
import { securityGroup } from './securitygroup.ts';
import { subnet } from './subnet.ts';

export const adapters: AnyAdapter[] = [network, subnet, router, securityGroup, port, floatingIP];
