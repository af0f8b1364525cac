// Pairing a value on update with its old value at the same place, as the apiserver does for
// transition rules and ratcheting: object fields and map values by key, list-map items by their
// keys; items of sets and atomic lists have no old counterpart.
import { isObject } from './structural.ts';
import type { SchemaNode } from './structural.ts';

export interface OldValue { present: boolean; value?: unknown }

export const NO_OLD: OldValue = { present: false };

export function oldOf(value: unknown): OldValue {
  return value === undefined || value === null ? NO_OLD : { present: true, value };
}

export function oldChild(old: OldValue, key: string): OldValue {
  return old.present && isObject(old.value) ? oldOf(old.value[key]) : NO_OLD;
}

export function oldItem(list: SchemaNode, item: unknown, old: OldValue): OldValue {
  if (list.listType !== 'map' || !old.present || !Array.isArray(old.value) || !isObject(item)) return NO_OLD;
  return oldOf(old.value.find((o) => isObject(o) && list.listMapKeys.every((k) => o[k] === item[k])));
}
