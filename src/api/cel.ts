// x-kubernetes-validations rules and the few shapes of them every kind needs.

export interface Rule {
  rule: string;
  message: string;
  /** Path, relative to the object the rule is on, of the field the error is reported for. */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

// CEL reserves these words; Kubernetes exposes fields so named as __word__ (e.g. self.__import__).
const CEL_RESERVED = new Set(['as', 'break', 'const', 'continue', 'else', 'false', 'for', 'function', 'if', 'import',
  'in', 'let', 'loop', 'package', 'namespace', 'null', 'return', 'true', 'var', 'void', 'while']);

/** The CEL name of a schema property. */
export function celName(field: string): string {
  return CEL_RESERVED.has(field) ? `__${field}__` : field;
}

/** TypeBox options that attach CEL rules to a schema. */
export function validations(...rules: Rule[]): { 'x-kubernetes-validations': Rule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** On a required field: it can never change. */
export function immutable(message: string): Rule {
  return { rule: 'self == oldSelf', message };
}

/**
 * On the parent of an optional field: the field cannot be added, removed or changed.
 * (A transition rule on the field itself would not run when it is added or removed.)
 */
export function immutableOptional(field: string, message: string): Rule {
  const f = celName(field);
  return {
    rule: `has(self.${f}) == has(oldSelf.${f}) && (!has(self.${f}) || self.${f} == oldSelf.${f})`,
    message,
    fieldPath: `.${field}`,
  };
}

/** On an object: at least one of `fields` is set. */
export function atLeastOne(fields: readonly string[], message: string): Rule {
  return { rule: fields.map((f) => `has(self.${celName(f)})`).join(' || '), message };
}
