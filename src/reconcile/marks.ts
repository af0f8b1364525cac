// Ownership marks: what ties a cloud resource to the object that made it, across lost status writes
// and restarts. Clouds mark resources differently (Neutron and Nova tags, Exoscale labels); the
// reconciler works with any style through this one interface.

/** The mark of every resource the operator manages: what drift checks list by. */
export const MANAGED = 'cloudnet-managed';
const UID = 'cloudnet-uid';

/** How a cloud's marks of type M are built and compared. */
export interface MarkStyle<M> {
  /** What the cloud calls them, for messages: `tags`, `labels`. */
  noun: string;
  /** No marks at all. */
  none: M;
  /** The operator's marks for the object `uid`, with the user's own. */
  desired(uid: string, user: M): M;
  same(a: M, b: M): boolean;
  /** Whether any mark of the operator's is there. */
  hasOperator(marks: M): boolean;
  /** The uid of the object the marks tie the resource to, if any. */
  ownerOf(marks: M): string | undefined;
  /** The marks without the operator's (an orphaned resource keeps the user's). */
  withoutOperator(marks: M): M;
  isEmpty(marks: M): boolean;
}

/** The tag that ties a cloud resource to one object. */
export const ownerTag = (uid: string): string => `${UID}:${uid}`;

/** Tags only the operator sets (the CRD schemas reserve the `cloudnet-` prefix). */
const isOperatorTag = (tag: string): boolean => tag === MANAGED || tag.startsWith(`${UID}:`);

const uidOfTags = (tags: readonly string[]): string | undefined => tags.find((t) => t.startsWith(`${UID}:`))?.slice(UID.length + 1);

/** Tags, a set of strings (Neutron, Nova): `cloudnet-managed` and `cloudnet-uid:<uid>`. */
export const tagMarks: MarkStyle<readonly string[]> = {
  noun: 'tags',
  none: [],
  desired: (uid, user) => [...new Set([MANAGED, ownerTag(uid), ...user])].sort(),
  same: (a, b) => a.length === b.length && new Set([...a, ...b]).size === a.length,
  hasOperator: (tags) => tags.some(isOperatorTag),
  ownerOf: uidOfTags,
  withoutOperator: (tags) => tags.filter((t) => !isOperatorTag(t)),
  isEmpty: (tags) => tags.length === 0,
};

export type Labels = Readonly<Record<string, string>>;

/** The labels that tie a cloud resource to one object. */
export const ownerLabels = (uid: string): Labels => ({ [MANAGED]: 'true', [UID]: uid });

export const isOperatorLabel = (key: string): boolean => key === MANAGED || key === UID;

/** The owner labels matching these tags' (for a cloud that takes key/values where it cannot take tags). */
export function ownerLabelsOfTags(tags: readonly string[]): Labels {
  const uid = uidOfTags(tags);
  return uid === undefined ? {} : ownerLabels(uid);
}

/** Whether the labels mark a resource as one the operator manages. */
export const isManagedLabels = (labels: Labels): boolean => labels[MANAGED] === 'true';

/** Whether the labels tie a resource to the object `uid`. */
export const labelsOwnedBy = (labels: Labels, uid: string): boolean => labels[UID] === uid;

/** Key/value labels (Exoscale): `cloudnet-managed=true` and `cloudnet-uid=<uid>`. */
export const labelMarks: MarkStyle<Labels> = {
  noun: 'labels',
  none: {},
  desired: (uid, user) => ({ ...user, ...ownerLabels(uid) }),
  same: (a, b) => Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v),
  hasOperator: (labels) => Object.keys(labels).some(isOperatorLabel),
  ownerOf: (labels) => labels[UID],
  withoutOperator: (labels) => Object.fromEntries(Object.entries(labels).filter(([k]) => !isOperatorLabel(k))),
  isEmpty: (labels) => Object.keys(labels).length === 0,
};
