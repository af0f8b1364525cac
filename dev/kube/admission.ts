import { randomUUID } from 'node:crypto';
import type { KubeObject, ResourceType } from './types.ts';
import type { StatusCause } from './errors.ts';
import { apiVersionOf } from './types.ts';
import { badRequest, conflict, invalid, OBJECT_MODIFIED } from './errors.ts';
import { clone, deepEqual, isObject, without } from './objects.ts';
import { recordUpdate } from './managed-fields.ts';
import { kubeTime } from './time.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  manager: string;
  fieldValidation: FieldValidation;
  now: Date;
  subresource?: string;
  /** Server-side apply already computed managedFields. */
  applied?: boolean;
  /** Keys the request body repeated (see duplicate-fields.ts), reported like unknown fields. */
  duplicateFields?: string[];
  /** PUT (not PATCH) of a kind that does not allow unconditional updates must carry metadata.resourceVersion. */
  requireResourceVersion?: boolean;
}

export interface Admitted {
  object: KubeObject;
  warnings: string[];
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** Sets apiVersion/kind when absent; a different one is 400 like the real server. */
export function checkTypeMeta(type: ResourceType, obj: unknown): KubeObject {
  if (!isObject(obj)) throw badRequest('the body of the request was in an unknown format');
  const expected = apiVersionOf(type);
  if (obj['apiVersion'] !== undefined && obj['apiVersion'] !== expected) {
    throw badRequest(`the API version in the data (${String(obj['apiVersion'])}) does not match the expected API version (${expected})`);
  }
  if (obj['kind'] !== undefined && obj['kind'] !== type.kind) {
    throw badRequest(`the kind in the data (${String(obj['kind'])}) does not match the expected kind (${type.kind})`);
  }
  obj['apiVersion'] = expected;
  obj['kind'] = type.kind;
  if (obj['metadata'] === undefined || obj['metadata'] === null) obj['metadata'] = {};
  if (!isObject(obj['metadata'])) throw badRequest('metadata must be an object');
  return obj as KubeObject;
}

export function generateName(prefix: string): string {
  let suffix = '';
  for (let i = 0; i < 5; i += 1) suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return `${prefix}${suffix}`;
}

function nameCauses(type: ResourceType, obj: KubeObject): StatusCause[] {
  const name = obj.metadata.name;
  if (!name) {
    return [{ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' }];
  }
  if (type.plural === 'namespaces' && type.group === '') {
    return DNS_LABEL.test(name) && name.length <= 63
      ? []
      : [{
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
          field: 'metadata.name',
        }];
  }
  return DNS_SUBDOMAIN.test(name) && name.length <= 253
    ? []
    : [{
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
        field: 'metadata.name',
      }];
}

const OBJECT_META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/** ObjectMeta is decoded strictly for every kind, whatever the schema says. */
function pruneObjectMeta(obj: KubeObject): string[] {
  const unknown = Object.keys(obj.metadata).filter((key) => !OBJECT_META_FIELDS.has(key));
  for (const key of unknown) delete obj.metadata[key];
  return unknown.map((key) => `metadata.${key}`);
}

/** Prunes unknown fields, reports them and duplicate fields per fieldValidation, then applies schema defaults. */
function pruneAndDefault(type: ResourceType, obj: KubeObject, opts: WriteOptions): string[] {
  const unknown = [...pruneObjectMeta(obj), ...(type.schema ? type.schema.prune(obj) : [])];
  const messages = [
    ...unknown.map((path) => `unknown field ${JSON.stringify(path)}`),
    ...(opts.duplicateFields ?? []).map((path) => `duplicate field ${JSON.stringify(path)}`),
  ];
  if (messages.length > 0 && opts.fieldValidation === 'Strict') {
    throw badRequest(`${type.kind} in version ${JSON.stringify(type.version)} cannot be handled as a ${type.kind}: strict decoding error: ${messages.join(', ')}`);
  }
  type.schema?.applyDefaults(obj);
  return opts.fieldValidation === 'Warn' ? messages : [];
}

function validate(type: ResourceType, obj: KubeObject, old: KubeObject | undefined): void {
  const causes: StatusCause[] = nameCauses(type, obj);
  if (type.schema) causes.push(...type.schema.validate(obj, old));
  if (causes.length > 0) throw invalid(type, obj.metadata.name ?? '', causes);
}

/** Object content that counts for `generation`: everything but metadata, and status when it has its own endpoint. */
function generationContent(type: ResourceType, obj: KubeObject): Record<string, unknown> {
  return without(obj, type.hasStatus ? ['metadata', 'status', 'apiVersion', 'kind'] : ['metadata', 'apiVersion', 'kind']);
}

export function admitCreate(type: ResourceType, body: KubeObject, opts: WriteOptions): Admitted {
  const obj = clone(body);
  type.normalize?.(obj);
  const warnings = pruneAndDefault(type, obj, opts);
  if (type.hasStatus) delete obj['status'];
  type.prepareForCreate?.(obj);
  if (!obj.metadata.name && obj.metadata.generateName) obj.metadata.name = generateName(obj.metadata.generateName);
  validate(type, obj, undefined);
  const meta = obj.metadata;
  meta.uid = randomUUID();
  meta.creationTimestamp = kubeTime(opts.now);
  if (type.tracksGeneration) meta.generation = 1;
  else delete meta.generation;
  delete meta.resourceVersion;
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  if (!opts.applied) recordUpdate(undefined, obj, { manager: opts.manager, now: kubeTime(opts.now), operation: 'Update', ...subresourceOpt(opts) });
  return { object: obj, warnings };
}

function subresourceOpt(opts: WriteOptions): { subresource?: string } {
  return opts.subresource ? { subresource: opts.subresource } : {};
}

/**
 * The update strategy: preconditions, status only through /status, immutable metadata, generation,
 * no new finalizers on a deleting object. `changed` is false for a no-op write, which the real
 * server answers with the stored object without bumping resourceVersion.
 */
export function admitUpdate(type: ResourceType, old: KubeObject, body: KubeObject, opts: WriteOptions): Admitted & { changed: boolean } {
  const name = old.metadata.name ?? '';
  if (body.metadata.name !== undefined && body.metadata.name !== name) {
    throw badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`);
  }
  const rv = body.metadata.resourceVersion;
  if (rv === undefined || rv === '') {
    if (opts.requireResourceVersion) {
      throw invalid(type, name, [{ reason: 'FieldValueInvalid', message: 'Invalid value: 0x0: must be specified for an update', field: 'metadata.resourceVersion' }]);
    }
  } else if (rv !== old.metadata.resourceVersion) {
    throw conflict(type, name, OBJECT_MODIFIED);
  }

  let obj: KubeObject;
  if (opts.subresource === 'status') {
    obj = clone(old);
    if (body['status'] === undefined) delete obj['status'];
    else obj['status'] = clone(body['status']);
    if (body.metadata.managedFields !== undefined) obj.metadata.managedFields = clone(body.metadata.managedFields);
  } else {
    obj = clone(body);
    obj.metadata.name = name;
    if (type.hasStatus) {
      if (old['status'] === undefined) delete obj['status'];
      else obj['status'] = clone(old['status']);
    }
  }
  type.normalize?.(obj);
  const warnings = pruneAndDefault(type, obj, opts);
  validate(type, obj, old);

  const meta = obj.metadata;
  for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'namespace', 'generation'] as const) {
    if (old.metadata[key] === undefined) delete meta[key];
    else meta[key] = old.metadata[key] as never;
  }
  if (old.metadata.deletionTimestamp) {
    const added = (meta.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
    if (added.length > 0) {
      throw invalid(type, name, [{
        reason: 'FieldValueForbidden',
        message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => JSON.stringify(f)).join(', ')}}`,
        field: 'metadata.finalizers',
      }]);
    }
  }
  if (type.tracksGeneration && !deepEqual(generationContent(type, obj), generationContent(type, old))) {
    meta.generation = (old.metadata.generation ?? 1) + 1;
  }
  meta.resourceVersion = old.metadata.resourceVersion;

  const changed = !deepEqual(comparable(obj, !!opts.applied), comparable(old, !!opts.applied));
  if (!changed) return { object: old, warnings, changed };
  if (!opts.applied) recordUpdate(old, obj, { manager: opts.manager, now: kubeTime(opts.now), operation: 'Update', ...subresourceOpt(opts) });
  return { object: obj, warnings, changed };
}

/** What a no-op check compares: managedFields matter only for apply (ownership), never their timestamps. */
function comparable(obj: KubeObject, withOwnership: boolean): KubeObject {
  const entries = Array.isArray(obj.metadata.managedFields) ? obj.metadata.managedFields : [];
  const managedFields = withOwnership ? entries.map((e) => (isObject(e) ? { ...e, time: undefined } : e)) : undefined;
  return { ...obj, metadata: { ...obj.metadata, managedFields } };
}
