import type { KubeObject } from './types.ts';
import { badRequest } from './errors.ts';

type Requirement =
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | '!'; key: string };

export type Selector = (obj: KubeObject) => boolean;

/** Splits on commas that are not inside an `in (...)` value set. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseLabelRequirement(term: string): Requirement {
  const setMatch = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const values = (setMatch[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v !== '');
    return { op: setMatch[2] as 'in' | 'notin', key: setMatch[1] ?? '', values };
  }
  const eqMatch = /^([^\s!=()]+)\s*(==|=|!=)\s*([^\s!=()]*)$/.exec(term);
  if (eqMatch) {
    const values = [eqMatch[3] ?? ''];
    return { op: eqMatch[2] === '!=' ? 'notin' : 'in', key: eqMatch[1] ?? '', values };
  }
  const notExists = /^!\s*([^\s!=()]+)$/.exec(term);
  if (notExists) return { op: '!', key: notExists[1] ?? '' };
  if (/^[^\s!=()]+$/.test(term)) return { op: 'exists', key: term };
  throw badRequest(`unable to parse requirement: ${term}`);
}

function matches(req: Requirement, values: Record<string, string>): boolean {
  const has = Object.hasOwn(values, req.key);
  switch (req.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'in':
      return has && req.values.includes(values[req.key] ?? '');
    case 'notin':
      return !has || !req.values.includes(values[req.key] ?? '');
  }
}

export function parseLabelSelector(text: string | null): Selector {
  if (!text) return () => true;
  const requirements = splitTerms(text).map(parseLabelRequirement);
  return (obj) => requirements.every((r) => matches(r, obj.metadata.labels ?? {}));
}

const FIELD_GETTERS: Record<string, (obj: KubeObject) => string> = {
  'metadata.name': (obj) => obj.metadata.name ?? '',
  'metadata.namespace': (obj) => obj.metadata.namespace ?? '',
};

/** Field selectors on metadata.name and metadata.namespace, which every resource supports, plus the kind's own. */
export function parseFieldSelector(text: string | null, extra: Record<string, (obj: KubeObject) => string> = {}): Selector {
  if (!text) return () => true;
  const getters = { ...FIELD_GETTERS, ...extra };
  const checks = splitTerms(text).map((term) => {
    const match = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    const getter = match ? getters[match[1] ?? ''] : undefined;
    if (!match || !getter) {
      const field = match?.[1] ?? term;
      throw badRequest(`"${field}" is not a known field selector: only ${Object.keys(getters).map((k) => JSON.stringify(k)).join(', ')}`);
    }
    const negate = match[2] === '!=';
    const value = match[3] ?? '';
    return (obj: KubeObject) => (getter(obj) === value) !== negate;
  });
  return (obj) => checks.every((check) => check(obj));
}
