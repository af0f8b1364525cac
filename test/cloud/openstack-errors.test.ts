import { describe, expect, it } from 'vitest';
import type { CloudErrorKind } from '../../src/cloud/errors.ts';
import { classifyOpenStackError, isTagsNotAllowedInPost, parseOpenStackErrorBody } from '../../src/cloud/openstack/errors.ts';

const NET = '5f0f2d0c-5d7b-4f3e-9d65-0a4a2b1c9e11';
const SUB = '0c3f8d8e-6e1a-4f1b-8b4b-2f7b9d3c1a22';
const PORT = 'a1b2c3d4-0000-4000-8000-000000000001';

function neutron(type: string, message: string) {
  return { NeutronError: { type, message, detail: '' } };
}

/** Real Zed bodies from docs/openstack-notes.md: [status, body, expected code, expected kind]. */
const TABLE: Array<[number, unknown, string, CloudErrorKind]> = [
  [400, neutron('InvalidInput', `Invalid input for operation: Requested subnet with cidr: 10.10.0.0/25 for network: ${NET} overlaps with another subnet.`), 'InvalidInput', 'terminal'],
  [400, neutron('InvalidInput', 'Invalid input for operation: 10.300.0.0/24 is not in a CIDR format.'), 'InvalidInput', 'terminal'],
  [409, neutron('NetworkInUse', `Unable to complete operation on network ${NET}. There are one or more ports still in use on the network, id for these ports is: ${PORT}.`), 'NetworkInUse', 'busy'],
  [409, neutron('SubnetInUse', `Unable to complete operation on subnet ${SUB}: One or more ports have an IP allocation from this subnet.`), 'SubnetInUse', 'busy'],
  [409, neutron('RouterInUse', `Router ${NET} has ports still attached: ${PORT}`), 'RouterInUse', 'busy'],
  [409, neutron('SecurityGroupInUse', `Security Group ${NET} in use.`), 'SecurityGroupInUse', 'busy'],
  [409, neutron('PortInUse', `Unable to complete operation on port ${PORT} for network ${NET}. Port already has an attached device.`), 'PortInUse', 'busy'],
  [409, neutron('IpAddressGenerationFailure', `No more IP addresses available on network ${NET}.`), 'IpAddressGenerationFailure', 'busy'],
  [400, neutron('BadRequest', `Bad floatingip request: Network ${NET} is not a valid external network.`), 'BadRequest', 'terminal'],
  [400, neutron('BadRequest', `Bad router request: Network ${NET} is not an external network.`), 'BadRequest', 'terminal'],
  [404, neutron('AvailabilityZoneNotFound', 'AvailabilityZone nova-nowhere could not be found.'), 'AvailabilityZoneNotFound', 'terminal'],
  [404, neutron('ExternalGatewayForFloatingIPNotFound', `External network ${NET} is not reachable from subnet ${SUB}.  Therefore, cannot associate Port ${PORT} with a Floating IP.`), 'ExternalGatewayForFloatingIPNotFound', 'busy'],
  [409, neutron('FloatingIPPortAlreadyAssociated', `Cannot associate floating IP 203.0.113.20 (${NET}) with port ${PORT} using fixed IP 10.10.0.5, as that fixed IP already has a floating IP on external network ${NET}.`), 'FloatingIPPortAlreadyAssociated', 'conflict'],
  [400, neutron('BadRequest', `Bad router request: Router already has a port on subnet ${SUB}.`), 'BadRequest', 'terminal'],
  [409, neutron('IpAddressAlreadyAllocated', `IP address 10.10.0.109 already allocated in subnet ${SUB}`), 'IpAddressAlreadyAllocated', 'conflict'],
  [409, neutron('SecurityGroupRuleExists', `Security group rule already exists. Rule id is ${NET}.`), 'SecurityGroupRuleExists', 'conflict'],
  [404, neutron('NetworkNotFound', `Network ${NET} could not be found.`), 'NetworkNotFound', 'notFound'],
  [404, neutron('PortNotFound', `Port ${PORT} could not be found.`), 'PortNotFound', 'notFound'],
  [403, neutron('PolicyNotAuthorized', '(rule:create_network and rule:create_network:router:external) is disallowed by policy'), 'PolicyNotAuthorized', 'terminal'],
  [409, neutron('OverQuota', "Quota exceeded for resources: ['router']."), 'OverQuota', 'quota'],
  [409, neutron('QosRuleNotSupportedByNetwork', 'Rule bandwidth_limit is not supported by network'), 'QosRuleNotSupportedByNetwork', 'conflict'],
  [412, neutron('RevisionNumberConstraintFailed', 'Constrained to 999, but current revision is 2'), 'RevisionNumberConstraintFailed', 'staleRevision'],
  [400, neutron('HTTPBadRequest', 'Body contains invalid data'), 'HTTPBadRequest', 'terminal'],
  [400, neutron('HTTPBadRequest', "Unrecognized attribute(s) 'bogus'"), 'HTTPBadRequest', 'terminal'],
  [401, { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } }, 'Unauthorized', 'unauthorized'],
  [400, { badRequest: { code: 400, message: 'Network 00000000-0000-0000-0000-000000000000 could not be found.' } }, 'badRequest', 'terminal'],
  [409, { conflictingRequest: { code: 409, message: `Port ${PORT} is still in use.` } }, 'conflictingRequest', 'busy'],
  [400, { badRequest: { code: 400, message: 'Flavor 999 could not be found.' } }, 'badRequest', 'terminal'],
  // A server busy with a transition, or in a state the action does not apply to yet: look again, then act.
  [409, { conflictingRequest: { code: 409, message: `Cannot 'stop' instance ${NET} while it is in task_state powering-off` } }, 'conflictingRequest', 'busy'],
  [409, { conflictingRequest: { code: 409, message: `Cannot 'resize' instance ${NET} while it is in vm_state building` } }, 'conflictingRequest', 'busy'],
  [409, { conflictingRequest: { code: 409, message: `Instance ${NET} is locked` } }, 'conflictingRequest', 'conflict'],
  [413, { overLimit: { code: 413, message: 'Maximum number of key pairs exceeded' } }, 'overLimit', 'quota'],
  [404, { itemNotFound: { code: 404, message: `Instance ${NET} could not be found.` } }, 'itemNotFound', 'notFound'],
  [403, { forbidden: { code: 403, message: 'Only volume-backed servers are allowed for flavors with zero disk.' } }, 'forbidden', 'terminal'],
  [403, { forbidden: { code: 403, message: 'Quota exceeded for cores: Requested 2, but already used 20 of 20 cores' } }, 'forbidden', 'quota'],
  [503, '<html><body><h1>503 Service Unavailable</h1></body></html>', 'HTTP503', 'transient'],
  [500, { NeutronError: { type: 'HTTPInternalServerError', message: 'Request Failed: internal server error while processing your request.', detail: '' } }, 'HTTPInternalServerError', 'transient'],
  [429, 'Too Many Requests', 'HTTP429', 'transient'],
];

function classify(status: number, body: unknown) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return classifyOpenStackError({
    provider: 'openstack',
    service: 'network',
    operation: 'op',
    status,
    headers: {},
    text,
    body: typeof body === 'string' ? undefined : body,
    retryAfterMs: undefined,
  });
}

describe('OpenStack error classification (real Zed bodies)', () => {
  it.each(TABLE)('%i %j -> %s / %s', (status, body, code, kind) => {
    const err = classify(status, body);
    expect(err).toMatchObject({ status, code, kind, provider: 'openstack', service: 'network' });
    if (typeof body !== 'string') {
      expect(err.message).toBe(parseOpenStackErrorBody(body)?.message);
      expect(err.message.length).toBeGreaterThan(0);
    }
  });

  it('keeps the status text of a non-JSON body as the message', () => {
    expect(classify(503, 'Service Unavailable').message).toBe('Service Unavailable');
  });

  it("recognises Zed's refusal of tags in POST", () => {
    const err = classify(400, neutron('HTTPBadRequest', "Attribute 'tags' not allowed in POST"));
    expect(err.kind).toBe('terminal');
    expect(isTagsNotAllowedInPost(err)).toBe(true);
    expect(isTagsNotAllowedInPost(classify(400, neutron('HTTPBadRequest', "Unrecognized attribute(s) 'bogus'")))).toBe(false);
  });

  it('describes an error in one line with service, operation, status, code and message', () => {
    expect(classify(409, neutron('OverQuota', "Quota exceeded for resources: ['router'].")).describe()).toBe(
      "network op: 409 OverQuota: Quota exceeded for resources: ['router'].",
    );
  });
});
