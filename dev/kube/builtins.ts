import type { KubeObject, PrinterColumn, ResourceType } from './types.ts';
import { isObject } from './objects.ts';
import { invalid } from './errors.ts';
import { defaultCrd, establishedStatus, validateCrd } from './crds.ts';
import { age, kubeTime } from './time.ts';
import { CORE_EVENT_COLUMNS, EVENTS_V1_STORAGE, coreEventCells } from './events.ts';

const AGE: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description:
    'CreationTimestamp is a timestamp representing the server time when this object was created.',
};

function builtin(
  fields: Pick<ResourceType, 'group' | 'version' | 'kind' | 'plural' | 'namespaced'> & Partial<ResourceType>,
): ResourceType {
  return {
    listKind: `${fields.kind}List`,
    singular: fields.kind.toLowerCase(),
    shortNames: [],
    categories: [],
    hasStatus: false,
    tracksGeneration: false,
    allowUnconditionalUpdate: true,
    builtin: true,
    storageKey: `${fields.group}/${fields.plural}`,
    printerColumns: [AGE],
    ...fields,
  };
}

function foldStringData(obj: KubeObject): void {
  const stringData = obj['stringData'];
  if (isObject(stringData)) {
    const data = isObject(obj['data']) ? obj['data'] : {};
    for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value)).toString('base64');
    obj['data'] = data;
  }
  delete obj['stringData'];
  if (!obj['type']) obj['type'] = 'Opaque';
}

function field(obj: KubeObject, ...path: string[]): unknown {
  return path.reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), obj);
}

/** The field selectors core/v1 Events support, which `kubectl describe` uses to find an object's events. */
const CORE_EVENT_FIELDS: Record<string, (obj: KubeObject) => string> = Object.fromEntries([
  ...['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((k) => [`involvedObject.${k}`, (o: KubeObject) => String(field(o, 'involvedObject', k) ?? '')]),
  ...['reason', 'reportingComponent', 'type'].map((k) => [k, (o: KubeObject) => String(field(o, k) ?? '')]),
  ['source', (o: KubeObject) => String(field(o, 'source', 'component') ?? '')],
]);

function countEntries(...values: unknown[]): number {
  return values.reduce<number>((n, v) => n + (isObject(v) ? Object.keys(v).length : 0), 0);
}

export const NAMESPACES = builtin({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
  shortNames: ['ns'],
  hasStatus: true,
  printerColumns: [
    { name: 'Status', type: 'string', jsonPath: '.status.phase', description: 'The status of the namespace' },
    AGE,
  ],
  normalize: (obj) => {
    obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
  },
  prepareForCreate: (obj) => {
    obj['spec'] = { finalizers: ['kubernetes'] };
    obj['status'] = { phase: 'Active' };
  },
  fieldSelectors: { 'status.phase': (obj) => String(field(obj, 'status', 'phase') ?? '') },
});

export const CRDS = builtin({
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  hasStatus: true,
  tracksGeneration: true,
  allowUnconditionalUpdate: false,
  printerColumns: [{ ...AGE, name: 'Created At' }],
  // Like the real server's default table: the timestamp itself, not an age.
  tableCells: (obj) => [obj.metadata.creationTimestamp],
  normalize: (crd) => {
    defaultCrd(crd);
    const causes = validateCrd(crd);
    if (causes.length > 0) throw invalid(CRDS, crd.metadata.name ?? '', causes);
    if (isObject(crd['status']) && crd.metadata.creationTimestamp) {
      // Keep acceptedNames/storedVersions in step with the spec on update, as the CRD controllers do.
      const fresh = establishedStatus(crd, kubeTime(new Date()));
      crd['status'] = { ...crd['status'], acceptedNames: fresh['acceptedNames'], storedVersions: fresh['storedVersions'] };
    }
  },
  // The real server reports a new CRD Established shortly after; here it is immediate.
  prepareForCreate: (crd) => {
    crd['status'] = establishedStatus(crd, kubeTime(new Date()));
  },
});

export const BUILTIN_TYPES: ResourceType[] = [
  builtin({
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
    printerColumns: [{ name: 'Data', type: 'integer', jsonPath: '.data', description: 'Number of entries' }, AGE],
    tableCells: (obj, now) => [countEntries(obj['data'], obj['binaryData']), age(obj.metadata.creationTimestamp, now)],
  }),
  builtin({
    group: '',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    fieldSelectors: CORE_EVENT_FIELDS,
    printerColumns: CORE_EVENT_COLUMNS,
    tableCells: coreEventCells,
    nameColumn: 'wide-last',
  }),
  NAMESPACES,
  builtin({
    group: '',
    version: 'v1',
    kind: 'Secret',
    plural: 'secrets',
    namespaced: true,
    printerColumns: [
      { name: 'Type', type: 'string', jsonPath: '.type', description: 'The type of the secret' },
      { name: 'Data', type: 'integer', jsonPath: '.data', description: 'Number of entries' },
      AGE,
    ],
    tableCells: (obj, now) => [obj['type'], countEntries(obj['data']), age(obj.metadata.creationTimestamp, now)],
    fieldSelectors: { type: (obj) => String(obj['type'] ?? '') },
    normalize: foldStringData,
  }),
  CRDS,
  builtin({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    allowUnconditionalUpdate: false,
    printerColumns: [
      { name: 'Holder', type: 'string', jsonPath: '.spec.holderIdentity', description: 'The holder of the lease' },
      AGE,
    ],
  }),
  builtin({
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    storageKey: '/events',
    storageForm: EVENTS_V1_STORAGE,
  }),
];
