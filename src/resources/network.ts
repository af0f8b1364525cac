// Network: a Neutron network. Everything that is specific to the kind.
import { network as networkKind, type NetworkImportFilter, type NetworkObserved, type NetworkResource } from '../api/network.ts';
import type { OpenStackClient } from '../cloud/openstack/client.ts';
import type { NeutronNetwork } from '../cloud/openstack/types.ts';
import { openstack } from '../providers/openstack.ts';
import { kindOf, type Adapter } from '../reconcile/adapter.ts';
import { activeOrAdminDown, adoptByName, changedFields, defined, neutronResource, standardSummary } from './neutron.ts';
import { qosPolicyField, qosPolicyOnCreate, qosPolicyReference } from './qospolicy.ts';

/** The mutable Neutron fields and their desired values. */
const mutable = (r: NetworkResource, name: string) => ({
  name,
  description: r.description,
  admin_state_up: r.adminStateUp,
  mtu: r.mtu,
  port_security_enabled: r.portSecurityEnabled,
  'router:external': r.external,
  shared: r.shared,
  dns_domain: r.dnsDomain,
});

export const network: Adapter<NetworkResource, NetworkImportFilter, NetworkObserved, NeutronNetwork, OpenStackClient> = {
  ...kindOf(networkKind, openstack),
  ...neutronResource((cloud) => cloud.neutron.networks),
  conditionalUpdate: true,
  references: (r) => qosPolicyReference(r.qosPolicyRef),
  listForImport: (cloud, f) =>
    cloud.neutron.networks.list({
      filters: { name: f.name, 'router:external': f.external, shared: f.shared, project_id: f.projectID },
      tags: f.tags,
    }),
  sharedWith: (o) => (o['router:external'] ? 'an external network, which other projects route to' : o.shared ? 'a shared network, which other projects attach to' : undefined),
  intentAdoption: adoptByName((cloud, name) => cloud.neutron.networks.list({ filters: { name } })),
  create: (cloud, { resource, refs, name }, tags) =>
    cloud.neutron.networks.create({
      ...defined(mutable(resource, name)),
      ...qosPolicyOnCreate(resource.qosPolicyRef, refs),
      ...(resource.availabilityZoneHints ? { availability_zone_hints: resource.availabilityZoneHints } : {}),
      tags,
    }),
  diff: ({ resource, refs, name }, observed) =>
    changedFields({ ...mutable(resource, name), qos_policy_id: qosPolicyField(resource.qosPolicyRef, refs) }, observed),
  summarize: (o) => ({
    ...standardSummary(o),
    status: o.status,
    adminStateUp: o.admin_state_up,
    mtu: o.mtu,
    portSecurityEnabled: o.port_security_enabled,
    external: o['router:external'],
    shared: o.shared,
    dnsDomain: o.dns_domain,
    availabilityZones: o.availability_zones,
    availabilityZoneHints: o.availability_zone_hints,
    subnets: o.subnets,
    qosPolicyID: o.qos_policy_id ?? undefined,
  }),
  progress: activeOrAdminDown('network'),
};
