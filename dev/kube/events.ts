import type { KubeObject, PrinterColumn } from './types.ts';
import { isObject } from './objects.ts';
import { age } from './time.ts';

/**
 * events.k8s.io/v1 Events are core/v1 Events under other field names (one storage, as in the real
 * server), so `kubectl describe` and `kubectl events` see what either API wrote.
 */
const RENAMES: [events: string, core: string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

function rename(obj: KubeObject, pairs: [from: string, to: string][], apiVersion: string): KubeObject {
  const out: KubeObject = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    delete out[from];
    if (obj[from] !== undefined) out[to] = obj[from];
  }
  return out;
}

export const EVENTS_V1_STORAGE = {
  toStored: (obj: KubeObject) => rename(obj, RENAMES, 'v1'),
  fromStored: (obj: KubeObject) => rename(obj, RENAMES.map(([e, c]) => [c, e]), 'events.k8s.io/v1'),
};

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** `kubectl get events` columns of the real server. */
export const CORE_EVENT_COLUMNS: PrinterColumn[] = [
  { name: 'Last Seen', type: 'string', jsonPath: '.lastTimestamp', description: 'Time since the event was last seen' },
  { name: 'Type', type: 'string', jsonPath: '.type', description: 'Type of this event (Normal, Warning)' },
  { name: 'Reason', type: 'string', jsonPath: '.reason', description: 'Short, machine understandable string that gives the reason for the event' },
  { name: 'Object', type: 'string', jsonPath: '.involvedObject', description: 'The object that this event is about' },
  { name: 'Message', type: 'string', jsonPath: '.message', description: 'A description of the status of this operation' },
];

export function coreEventCells(obj: KubeObject, now: number): unknown[] {
  const involved = isObject(obj['involvedObject']) ? obj['involvedObject'] : {};
  const series = isObject(obj['series']) ? obj['series'] : {};
  const lastSeen = str(series['lastObservedTime']) || str(obj['lastTimestamp']) || str(obj['eventTime']) || obj.metadata.creationTimestamp;
  return [age(lastSeen, now), obj['type'] ?? '', obj['reason'] ?? '', `${str(involved['kind']).toLowerCase()}/${str(involved['name'])}`, obj['message'] ?? ''];
}
