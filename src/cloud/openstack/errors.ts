import { CloudError, kindForStatus, type CloudErrorKind } from '../errors.ts';
import type { ErrorResponse } from '../http.ts';

/**
 * OpenStack error classification, in one place for Keystone, Neutron and Nova.
 * Body shapes (exact bodies in docs/openstack-notes.md):
 *   Neutron   {"NeutronError": {"type": T, "message": M, "detail": ""}}
 *   Keystone  {"error": {"code": 401, "title": "Unauthorized", "message": M}}
 *   Nova      {"badRequest" | "itemNotFound" | "conflictingRequest" | "forbidden" | ...: {"code", "message"}}
 */

export interface OpenStackErrorBody {
  /** Neutron type, Keystone title, or Nova's wrapper key. */
  code: string;
  message: string;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function parseOpenStackErrorBody(body: unknown): OpenStackErrorBody | undefined {
  const root = record(body);
  if (root === undefined) return undefined;
  const neutron = record(root.NeutronError);
  if (neutron) return { code: text(neutron.type) ?? 'NeutronError', message: text(neutron.message) ?? '' };
  const keystone = record(root.error);
  if (keystone) {
    const title = text(keystone.title)?.replace(/\s+/g, '');
    return { code: title || 'Error', message: text(keystone.message) ?? '' };
  }
  // Nova (and Glance's older shape): a single key naming the fault.
  const keys = Object.keys(root);
  const only = keys.length === 1 ? record(root[keys[0] as string]) : undefined;
  if (only && (typeof only.message === 'string' || typeof only.code === 'number')) {
    return { code: keys[0] as string, message: text(only.message) ?? '' };
  }
  return undefined;
}

/**
 * Refusals that clear up once other resources change: the resource still has dependents that the
 * operator (or a user) is removing, or the subnet has no free address until some port goes away.
 */
const BUSY_TYPES = new Set([
  'NetworkInUse',
  'SubnetInUse',
  'PortInUse',
  'RouterInUse',
  'SecurityGroupInUse',
  // A QoS policy a network, port or floating IP uses: that ends once they let go.
  'QosPolicyInUse',
  'RouterInterfaceInUseByFloatingIP',
  'FloatingIPSetInUse',
  'IpAddressGenerationFailure',
  // 404 for the association, not for the floating IP: the router interface that makes the
  // external network reachable is not attached yet.
  'ExternalGatewayForFloatingIPNotFound',
]);

const QUOTA_TYPES = new Set(['OverQuota', 'overLimit']);

/** 404s about what the request names, not the resource addressed: only a spec change fixes them. */
const TERMINAL_TYPES = new Set(['AvailabilityZoneNotFound']);

/** Anything not named above follows its status: 400/403 terminal, 404 notFound, 409 conflict, 412 staleRevision. */
function kindFor(status: number, code: string, message: string): CloudErrorKind {
  if (BUSY_TYPES.has(code)) return 'busy';
  if (TERMINAL_TYPES.has(code)) return 'terminal';
  if (QUOTA_TYPES.has(code) || /quota exceeded/i.test(message)) return 'quota';
  // Nova reports a port attached elsewhere as a 409 conflictingRequest "Port <id> is still in use."
  if (status === 409 && /is still in use/i.test(message)) return 'busy';
  // A server busy with a transition: "Cannot 'stop' instance <id> while it is in task_state
  // powering-off" (or in a vm_state the action does not apply to): look again, then act.
  if (status === 409 && /while it is in (task_state|vm_state)/i.test(message)) return 'busy';
  return kindForStatus(status);
}

export function classifyOpenStackError(response: ErrorResponse): CloudError {
  const parsed = parseOpenStackErrorBody(response.body);
  const code = parsed?.code ?? `HTTP${response.status}`;
  const message = parsed?.message || response.text.slice(0, 500) || `HTTP ${response.status}`;
  return new CloudError({
    provider: response.provider,
    service: response.service,
    operation: response.operation,
    status: response.status,
    code,
    message,
    kind: kindFor(response.status, code, message),
    retryAfterMs: response.retryAfterMs,
  });
}

/** Zed answers a create with tags when the cloud lacks the tag-creation extension. */
export function isTagsNotAllowedInPost(err: unknown): boolean {
  return (
    err instanceof CloudError && err.status === 400 && /Attribute 'tags' not allowed in POST/i.test(err.message)
  );
}
