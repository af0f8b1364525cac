// Neutron's error envelope: {"NeutronError": {"type", "message", "detail"}}; clients switch on `type`.

export class NeutronError extends Error {
  readonly status: number;
  readonly type: string;

  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }

  get body(): unknown {
    return { NeutronError: { type: this.type, message: this.message, detail: '' } };
  }
}

export const httpBadRequest = (message: string): NeutronError => new NeutronError(400, 'HTTPBadRequest', message);
export const invalidInput = (message: string): NeutronError => new NeutronError(400, 'InvalidInput', `Invalid input for operation: ${message}`);
export const badRequest = (resource: string, message: string): NeutronError => new NeutronError(400, 'BadRequest', `Bad ${resource} request: ${message}.`);
/**
 * Neutron's policy failure, worded as oslo.policy prints the match rule it built: the action's RuleCheck
 * ("rule:create_network"), and-ed once per explicitly set policy-enforced attribute
 * ("(rule:create_network and rule:create_network:shared)").
 */
export function policyDenied(action: string, attributeChecks: string[] = []): NeutronError {
  let check = `rule:${action}`;
  for (const attr of attributeChecks) check = `(${check} and ${attr})`;
  return new NeutronError(403, 'PolicyNotAuthorized', `${check} is disallowed by policy`);
}

/** The check for an attribute, with its sub-attribute checks (dict attributes such as external_gateway_info). */
export const attributeCheck = (action: string, attr: string, subs: string[] = []): string =>
  subs.length === 0 ? `rule:${action}:${attr}` : `(rule:${action}:${attr} and (${subs.map((s) => `rule:${action}:${attr}:${s}`).join(' and ')}))`;
/** Neutron's answer to an exception it did not expect (e.g. a database constraint it does not check first). */
export const internalError = (): NeutronError => new NeutronError(500, 'HTTPInternalServerError', 'Request Failed: internal server error while processing your request.');
export const overQuota = (resource: string): NeutronError => new NeutronError(409, 'OverQuota', `Quota exceeded for resources: ['${resource}'].`);
export const ipAllocated = (ip: string, subnetId: string): NeutronError =>
  new NeutronError(409, 'IpAddressAlreadyAllocated', `IP address ${ip} already allocated in subnet ${subnetId}`);
export const ipExhausted = (networkId: string): NeutronError =>
  new NeutronError(409, 'IpAddressGenerationFailure', `No more IP addresses available on network ${networkId}.`);
