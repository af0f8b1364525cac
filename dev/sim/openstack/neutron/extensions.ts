// The extensions this simulator implements, as GET /v2.0/extensions lists them (aliases are what clients check).
type Extension = { name: string; alias: string; description: string; updated: string; links: [] };

const ext = (alias: string, name: string, description: string, updated = '2017-01-01T10:00:00-00:00'): Extension => ({ name, alias, description, updated, links: [] });

export function extensions(tagsOnCreate: boolean): Extension[] {
  const list = [
    ext('allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'),
    ext('binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'),
    ext('dns-integration', 'DNS Integration', 'Provides integration with DNS.'),
    ext('external-net', 'Neutron external network', 'Adds external network attribute to network resource.'),
    ext('ext-gw-mode', 'Neutron L3 Configurable external gateway mode', 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway'),
    ext('extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'),
    ext('filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.'),
    ext('fip-port-details', 'Floating IP Port Details Extension', 'Add port_details attribute to Floating IP resource'),
    ext('net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'),
    ext('pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'),
    ext('port-security', 'Port Security', 'Provides port security'),
    ext('project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'),
    ext('provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'),
    ext('quotas', 'Quota management support', 'Expose functions for quotas management per project'),
    ext('quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'),
    ext('revision-if-match', 'If-Match constraints based on revision_number', "Extension indicating that If-Match based on revision_number is supported."),
    ext('router', 'Neutron L3 Router', 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.'),
    ext('security-group', 'security-group', 'The security groups extension.'),
    ext('sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'),
    ext('standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'),
    ext('standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.'),
    ext('standard-attr-tag', 'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip', 'Enables to set tag on resources with standard attribute.'),
    ext('standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.'),
    ext('stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not'),
  ];
  // Newer Neutron (2024.2+) accepts tags in POST bodies and says so with this extension; Zed has none.
  if (tagsOnCreate) list.push(ext('tag-creation', 'Tag support for resource creation', 'Enables to set tag on resources during resource creation.', '2024-04-01T10:00:00-00:00'));
  return list.sort((a, b) => a.alias.localeCompare(b.alias));
}
