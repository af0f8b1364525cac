import { isObject } from './objects.ts';

/**
 * The subset of Kubernetes JSONPath used by printer columns: `.field`, `['field']`, `[n]`, `[*]`
 * and filters `[?(@.a.b=="v")]` / `[?(@.a!="v")]`. Returns every match.
 */
type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: string[]; op: '==' | '!='; value: string };

function parse(path: string): Step[] {
  let text = path.trim();
  if (text.startsWith('{') && text.endsWith('}')) text = text.slice(1, -1);
  const steps: Step[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '.') {
      let j = i + 1;
      let name = '';
      while (j < text.length && text[j] !== '.' && text[j] !== '[') {
        if (text[j] === '\\' && j + 1 < text.length) j += 1;
        name += text[j];
        j += 1;
      }
      if (name !== '') steps.push({ kind: 'field', name });
      i = j;
    } else if (ch === '[') {
      const end = text.indexOf(']', text.startsWith('[?(', i) ? text.indexOf(')', i) : i);
      if (end < 0) throw new Error(`unterminated [ in ${path}`);
      const inner = text.slice(i + 1, end);
      const filter = /^\?\(@((?:\.[^.=!]+)+)\s*(==|!=)\s*['"]?([^'"]*)['"]?\)$/.exec(inner);
      if (inner === '*') steps.push({ kind: 'all' });
      else if (/^-?\d+$/.test(inner)) steps.push({ kind: 'index', index: Number(inner) });
      else if (/^['"].*['"]$/.test(inner)) steps.push({ kind: 'field', name: inner.slice(1, -1) });
      else if (filter) {
        steps.push({ kind: 'filter', path: (filter[1] ?? '').slice(1).split('.'), op: filter[2] as '==' | '!=', value: filter[3] ?? '' });
      } else throw new Error(`unsupported JSONPath segment [${inner}] in ${path}`);
      i = end + 1;
    } else {
      throw new Error(`unexpected ${ch} in JSONPath ${path}`);
    }
  }
  return steps;
}

function lookup(value: unknown, path: string[]): unknown {
  return path.reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), value);
}

export function evaluateJsonPath(path: string, root: unknown): unknown[] {
  let current: unknown[] = [root];
  for (const step of parse(path)) {
    const next: unknown[] = [];
    for (const value of current) {
      if (step.kind === 'field' && isObject(value) && value[step.name] !== undefined) next.push(value[step.name]);
      if (step.kind === 'index' && Array.isArray(value)) {
        const item = value.at(step.index);
        if (item !== undefined) next.push(item);
      }
      if (step.kind === 'all') {
        if (Array.isArray(value)) next.push(...value);
        else if (isObject(value)) next.push(...Object.values(value));
      }
      if (step.kind === 'filter' && Array.isArray(value)) {
        for (const item of value) {
          const found = lookup(item, step.path);
          const equal = found !== undefined && String(found) === step.value;
          if (step.op === '==' ? equal : found !== undefined && !equal) next.push(item);
        }
      }
    }
    current = next;
  }
  return current;
}
