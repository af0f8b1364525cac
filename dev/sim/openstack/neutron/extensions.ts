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
    ext('qos', 'Quality of Service', 'The Quality of Service extension.', '2015-06-08T10:00:00-00:00'),
    ext('qos-bw-limit-direction', 'Direction for QoS bandwidth limit rule', 'Allow to configure QoS bandwidth limit rule with specific direction: ingress or egress', '2017-04-10T10:00:00-00:00'),
    ext('qos-bw-minimum-ingress', 'Ingress direction for QoS minimum bandwidth rule', 'Allow to configure QoS minumum bandwidth rule with ingress direction.', '2018-07-09T10:00:00-00:00'),
    ext('qos-default', 'QoS default policy', 'Expose the QoS default policy per project', '2017-041-06T10:00:00-00:00'),
    ext('qos-fip', 'Floating IP QoS', 'The floating IP Quality of Service extension', '2017-07-20T00:00:00-00:00'),
    ext('qos-port-network-policy', 'QoS port network policy ID', 'Adds a the QoS network ID to the port definition', '2019-11-01T10:00:00-00:00'),
    ext('qos-pps', 'QoS Rule Type Packet per Second Extension', 'Add QoS Rule Type Packet per Second', '2021-05-12T10:00:00-00:00'),
    ext('qos-pps-minimum', 'QoS minimum packet rate rule', 'Allow to configure QoS minimum packet rate rule.', '2021-07-14T10:00:00-00:00'),
    ext('qos-pps-minimum-rule-alias', 'QoS minimum packet rate rule alias', 'API to enable GET, PUT and DELETE operations on QoS minimum packet rate rule without specifying policy ID', '2021-10-22T10:00:00-00:00'),
    ext('qos-rule-type-details', 'Details of QoS rule types', 'Expose details about QoS rule types supported by loaded backend drivers', '2017-06-22T10:00:00-00:00'),
    ext('qos-rule-type-filter', 'Allow to filter the list of QoS rule types', 'Allows to filter the QoS rule type list adding two new flags. "all_rules" prints all implemented QoS rule types."all_supported" prints all supported QoS rule types by the loaded mechanism drivers', '2022-02-02T10:00:00-00:00'),
    ext('qos-rules-alias', 'Quality of Service rules alias API', 'API to enable GET, PUT and DELETE operations on QoS policy rules without specifying policy ID', '2018-10-07T10:00:00-00:00'),
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
