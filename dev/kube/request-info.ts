import type { IncomingMessage } from 'node:http';

/**
 * A request as Kubernetes' authorizer sees it (the apiserver's RequestInfo), and who sent it: what
 * an RBAC check of a client's requests needs. Strings are empty where Kubernetes' are (the core
 * group, a cluster-scoped request, no name).
 */
export interface RequestRecord {
  /** The bearer token of the request ('' without one): no authentication here, so the token is the identity. */
  user: string;
  userAgent: string;
  /** Resource requests: get, list, watch, create, update, patch, delete, deletecollection. Others: the HTTP method in lower case. */
  verb: string;
  path: string;
  /** Under /api/v1 or /apis/{group}/{version}; discovery, /version and /openapi are not (RBAC's nonResourceURLs). */
  isResourceRequest: boolean;
  apiGroup: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

const METHOD_VERBS: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };
/** Subresources of a Namespace itself: `namespaces/{name}/status` is not a resource named status in it. */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** Follows k8s.io/apiserver's RequestInfoFactory.NewRequestInfo, less the proxy verb the local server does not serve. */
export function requestRecord(req: IncomingMessage, url: URL): RequestRecord {
  const parts = url.pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  const authorization = req.headers.authorization ?? '';
  const record: RequestRecord = {
    user: authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '',
    userAgent: req.headers['user-agent'] ?? '',
    verb: (req.method ?? '').toLowerCase(),
    path: url.pathname,
    isResourceRequest: false,
    apiGroup: '',
    resource: '',
    subresource: '',
    namespace: '',
    name: '',
  };
  const [prefix, ...afterPrefix] = parts;
  const grouped = prefix === 'apis';
  if (parts.length < 3 || !(grouped || prefix === 'api') || (grouped && afterPrefix.length < 3)) return record;
  record.isResourceRequest = true;
  if (grouped) record.apiGroup = afterPrefix.shift()!;
  let rest = afterPrefix.slice(1);
  // The deprecated /watch/ path prefix, which clients still may use.
  const watchPath = rest[0] === 'watch' && rest.length > 1;
  if (watchPath) rest = rest.slice(1);
  record.verb = watchPath ? 'watch' : (METHOD_VERBS[req.method ?? ''] ?? '');
  if (rest[0] === 'namespaces' && rest.length > 1) {
    record.namespace = rest[1]!;
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2]!)) rest = rest.slice(2);
  }
  [record.resource = '', record.name = '', record.subresource = ''] = rest;
  if (record.name === '' && record.verb === 'get') {
    const watch = url.searchParams.get('watch');
    record.verb = watch === 'true' || watch === '1' ? 'watch' : 'list';
    // A list or watch of one object by field selector is authorized as that object.
    const byName = /^metadata\.name==?([^,=!]+)$/.exec(url.searchParams.get('fieldSelector') ?? '');
    if (byName) record.name = byName[1]!;
  }
  if (record.name === '' && record.verb === 'delete') record.verb = 'deletecollection';
  return record;
}
