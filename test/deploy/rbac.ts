// RBAC as Kubernetes' authorizer evaluates it (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac),
// over the objects of an install: which rules a service account holds, and where.
import type { RequestRecord } from '../../dev/kube/request-info.ts';
import type { KubeObject } from './render.ts';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  verbs: string[];
  nonResourceURLs?: string[];
}

/** A rule held through a binding: in one namespace (a RoleBinding) or in all and cluster-wide (a ClusterRoleBinding). */
export interface Grant {
  /** "Kind name", without the namespace: a Role stamped into several namespaces is one role. */
  role: string;
  index: number;
  rule: PolicyRule;
  /** undefined: every namespace, and cluster-scoped resources. */
  namespace: string | undefined;
}

type Role = KubeObject & { rules?: PolicyRule[] };
type Binding = KubeObject & { roleRef: { kind: string; name: string }; subjects?: { kind: string; name: string; namespace?: string }[] };

/**
 * Kubernetes' default system:discovery ClusterRole, bound to every authenticated user: the
 * non-resource URLs of discovery, OpenAPI, health and version.
 */
export const DISCOVERY: PolicyRule = {
  nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'],
  verbs: ['get'],
};

/** The rules an install's bindings give the service account `namespace/name`. */
export function grantsOf(objects: KubeObject[], serviceAccount: { namespace: string; name: string }): Grant[] {
  const roles = objects.filter((o): o is Role => o.kind === 'Role' || o.kind === 'ClusterRole');
  const bindings = objects.filter((o): o is Binding => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding');
  return bindings
    .filter((b) => b.subjects?.some((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount.name && s.namespace === serviceAccount.namespace))
    .flatMap((binding) => {
      // A RoleBinding refers to a Role of its own namespace, or to a ClusterRole; a ClusterRoleBinding only to a ClusterRole.
      const namespace = binding.kind === 'RoleBinding' ? binding.metadata.namespace : undefined;
      const role = roles.find((r) => r.kind === binding.roleRef.kind && r.metadata.name === binding.roleRef.name && (r.kind === 'ClusterRole' || r.metadata.namespace === namespace));
      if (!role) throw new Error(`${binding.kind} ${binding.metadata.name} refers to a missing ${binding.roleRef.kind} ${binding.roleRef.name}`);
      return (role.rules ?? []).map((rule, index) => ({ role: `${role.kind} ${role.metadata.name}`, index, rule, namespace }));
    });
}

const matches = (values: string[] | undefined, value: string): boolean => (values ?? []).some((v) => v === '*' || v === value);

/** RBAC's ResourceMatches: "resource/subresource", "*" or "*\/subresource". */
function resourceMatches(resources: string[] | undefined, request: RequestRecord): boolean {
  const combined = request.subresource ? `${request.resource}/${request.subresource}` : request.resource;
  return (resources ?? []).some((r) => r === '*' || r === combined || (request.subresource !== '' && r === `*/${request.subresource}`));
}

function urlMatches(urls: string[] | undefined, path: string): boolean {
  return (urls ?? []).some((u) => u === '*' || u === path || (u.endsWith('*') && path.startsWith(u.slice(0, -1))));
}

/** Whether `rule`, held in `namespace` (undefined: everywhere), allows the request. */
export function allows(rule: PolicyRule, namespace: string | undefined, request: RequestRecord): boolean {
  if (!matches(rule.verbs, request.verb)) return false;
  if (!request.isResourceRequest) return namespace === undefined && urlMatches(rule.nonResourceURLs, request.path);
  if (namespace !== undefined && request.namespace !== namespace) return false;
  if (!matches(rule.apiGroups, request.apiGroup) || !resourceMatches(rule.resources, request)) return false;
  return !rule.resourceNames?.length || rule.resourceNames.includes(request.name);
}

/**
 * What a least-privilege check wants used of a grant: each verb of its rule, each API group and
 * each resource, one permission apiece (a verb used on any of the rule's resources counts: a
 * re-read after a 409 Conflict, say, happens to some kinds in a run, not to each). The label leaves
 * the namespace out: a Role stamped into several namespaces is used when it is used in one.
 */
export function permissionsOf(grant: Grant): (Pick<Grant, 'rule' | 'namespace'> & { label: string })[] {
  const { rule } = grant;
  const one = (field: 'verbs' | 'apiGroups' | 'resources', value: string) => ({
    label: `${grant.role}, rule ${grant.index}: ${field.slice(0, -1)} "${value}"`,
    rule: { ...rule, [field]: [value] },
    namespace: grant.namespace,
  });
  return [...rule.verbs.map((v) => one('verbs', v)), ...(rule.apiGroups ?? []).map((g) => one('apiGroups', g)), ...(rule.resources ?? []).map((r) => one('resources', r))];
}

/** One line per distinct request: verb, group/resource[/subresource], namespace and name. */
export function describeRequest(r: RequestRecord): string {
  if (!r.isResourceRequest) return `${r.verb} ${r.path}`;
  const resource = `${r.apiGroup || 'core'}/${r.resource}${r.subresource ? `/${r.subresource}` : ''}`;
  return `${r.verb} ${resource}${r.namespace ? ` in ${r.namespace}` : ' (all namespaces or cluster)'}${r.name ? ` named ${r.name}` : ''}`;
}
