// A CRD version's openAPIV3Schema compiled for the local API server: defaulting, pruning and
// validation (OpenAPI keywords and x-kubernetes-validations CEL rules) as kube-apiserver does them.
import { compileRules, evaluateRules } from './cel-rules.ts';
import { NO_OLD, oldOf } from './correlation.ts';
import { applyDefaults, checkDefaults } from './defaults.ts';
import { pruneValue } from './prune.ts';
import { parseSchema } from './structural.ts';
import { validateValue, type FieldCause } from './validate.ts';

export type { FieldCause };

export interface CompiledSchema {
  /** Sets defaults in place. */
  applyDefaults(obj: Record<string, unknown>): void;
  /** Drops unknown fields in place; returns their paths like "spec.foo", sorted. */
  prune(obj: Record<string, unknown>): string[];
  /** OpenAPI and CEL validation; `old` is the stored object on update (enables transition rules). */
  validate(obj: Record<string, unknown>, old?: Record<string, unknown>): FieldCause[];
}

// As kube-apiserver: CEL rules are not run on an object whose shape (types, required fields, enums,
// sizes that bound the rules' cost) is already wrong.
const BLOCKING_REASONS = new Set(['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid']);

/** Throws an Error saying why when the schema is not structural or a CEL rule does not compile. */
export function compileSchema(openAPIV3Schema: Record<string, unknown>): CompiledSchema {
  const root = parseSchema(openAPIV3Schema);
  checkDefaults(root);
  const rules = compileRules(root);
  return {
    applyDefaults: (obj) => applyDefaults(root, obj, true),
    prune: (obj) => {
      const removed: string[] = [];
      pruneValue(root, obj, '', removed, true);
      return removed.sort();
    },
    validate: (obj, old) => {
      const causes: FieldCause[] = [];
      const oldRoot = old === undefined ? NO_OLD : oldOf(old);
      validateValue(root, obj, '', causes, true, oldRoot);
      if (rules.size === 0) return causes;
      if (causes.some((c) => BLOCKING_REASONS.has(c.reason))) {
        causes.push({ reason: 'FieldValueInvalid', field: '<nil>', message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation' });
      } else {
        evaluateRules(rules, root, obj, oldRoot, '', causes, true);
      }
      return causes;
    },
  };
}
