// x-kubernetes-validations: rules compiled once per schema, evaluated per node with `self` bound
// to the node's value and, for transition rules, `oldSelf` to the correlated old value.
import { isCelError, parse, plan } from '@bufbuild/cel';
import type { CelInput, CelResult } from '@bufbuild/cel';
import type { FieldCause } from './validate.ts';
import { celOptional, validationEnv } from './cel-library.ts';
import { toCel } from './cel-values.ts';
import { childSchema, isObject, joinPath, SchemaError } from './structural.ts';
import type { JsonObject, SchemaNode } from './structural.ts';
import { oldChild, oldItem } from './correlation.ts';
import type { OldValue } from './correlation.ts';
import { deepEqual, duplicate, forbidden, invalid, required, typeMatches } from './validate.ts';

type Program = (bindings: Record<string, CelInput>) => CelResult;

interface CompiledRule {
  rule: string;
  program: Program;
  message?: string;
  messageExpression?: Program;
  reason: string;
  fieldPath: string[];
  isTransition: boolean;
  optionalOldSelf: boolean;
}

const REASONS = ['FieldValueInvalid', 'FieldValueForbidden', 'FieldValueRequired', 'FieldValueDuplicate'];
// Identifiers a rule may use besides self/oldSelf and comprehension variables: CEL's type names.
const TYPE_IDENTS = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

/** Compiles every rule of the tree; throws SchemaError naming the rule that does not compile. */
export function compileRules(root: SchemaNode): Map<SchemaNode, CompiledRule[]> {
  const compiled = new Map<SchemaNode, CompiledRule[]>();
  const walk = (node: SchemaNode, path: string, correlatable: boolean) => {
    if (node.validations.length > 0) {
      compiled.set(node, node.validations.map((rule, i) => compileRule(node, rule, `${path}.x-kubernetes-validations[${i}]`, correlatable)));
    }
    for (const [name, prop] of node.properties ?? []) walk(prop, `${path}.properties[${name}]`, correlatable);
    if (node.additionalProperties && node.additionalProperties !== true) walk(node.additionalProperties, `${path}.additionalProperties`, correlatable);
    if (node.items) walk(node.items, `${path}.items`, correlatable && node.listType === 'map');
  };
  walk(root, 'openAPIV3Schema', true);
  return compiled;
}

function compileExpression(source: string, where: string, allowOldSelf: boolean): { program: Program; usesOldSelf: boolean } {
  let parsed;
  try {
    parsed = parse(source);
  } catch (err) {
    throw new SchemaError(`${where}: Invalid value: ${JSON.stringify(source)}: compilation failed: ERROR: ${(err as Error).message}`);
  }
  const env = validationEnv();
  let usesOldSelf = false;
  const check = (expr: unknown, scope: Set<string>): void => {
    if (!isObject(expr)) return;
    const kind = expr.exprKind as { case?: string; value?: JsonObject } | undefined;
    const value = kind?.value;
    if (!value) return;
    switch (kind.case) {
      case 'identExpr': {
        const name = String(value.name);
        if (name === 'oldSelf') usesOldSelf = true;
        if (!scope.has(name) && !TYPE_IDENTS.has(name)) {
          throw new SchemaError(`${where}: Invalid value: ${JSON.stringify(source)}: compilation failed: ERROR: undeclared reference to '${name}'`);
        }
        return;
      }
      case 'callExpr': {
        const fn = String(value.function);
        const isOperator = /^[^a-zA-Z]/.test(fn);
        const qualified = qualifiedName(value.target);
        if (!isOperator && !env.funcs.find(fn) && !(qualified && env.funcs.find(`${qualified}.${fn}`))) {
          throw new SchemaError(`${where}: Invalid value: ${JSON.stringify(source)}: compilation failed: ERROR: undeclared reference to '${fn}'`);
        }
        if (!(qualified && env.funcs.find(`${qualified}.${fn}`))) check(value.target, scope);
        for (const arg of (value.args as unknown[]) ?? []) check(arg, scope);
        return;
      }
      case 'comprehensionExpr': {
        check(value.iterRange, scope);
        check(value.accuInit, scope);
        const inner = new Set([...scope, String(value.iterVar), String(value.iterVar2 ?? ''), String(value.accuVar)]);
        for (const part of [value.loopCondition, value.loopStep, value.result]) check(part, inner);
        return;
      }
      case 'selectExpr':
        check(value.operand, scope);
        return;
      case 'listExpr':
        for (const el of (value.elements as unknown[]) ?? []) check(el, scope);
        return;
      case 'structExpr':
        for (const entry of (value.entries as JsonObject[]) ?? []) {
          check(entry.mapKey, scope);
          check(entry.value, scope);
        }
        return;
    }
  };
  check(parsed.expr, new Set(allowOldSelf ? ['self', 'oldSelf'] : ['self']));
  const run = plan(env, parsed);
  return { program: (bindings) => run(bindings), usesOldSelf };
}

/** `optional` in `optional.none()`: the dotted name a call target spells, if it is only identifiers. */
function qualifiedName(expr: unknown): string | undefined {
  if (!isObject(expr)) return undefined;
  const kind = expr.exprKind as { case?: string; value?: JsonObject } | undefined;
  if (kind?.case === 'identExpr') return String(kind.value?.name);
  if (kind?.case === 'selectExpr' && kind.value) {
    const operand = qualifiedName(kind.value.operand);
    return operand === undefined ? undefined : `${operand}.${String(kind.value.field)}`;
  }
  return undefined;
}

function compileRule(node: SchemaNode, raw: JsonObject, where: string, correlatable: boolean): CompiledRule {
  const rule = String(raw.rule);
  const { program, usesOldSelf } = compileExpression(rule, `${where}.rule`, true);
  if (usesOldSelf && !correlatable) {
    throw new SchemaError(`${where}.rule: Invalid value: ${JSON.stringify(rule)}: oldSelf cannot be used on the uncorrelatable portion of the schema within ${where}`);
  }
  const reason = raw.reason === undefined ? 'FieldValueInvalid' : String(raw.reason);
  if (!REASONS.includes(reason)) {
    throw new SchemaError(`${where}.reason: Unsupported value: ${JSON.stringify(reason)}: supported values: ${REASONS.map((r) => JSON.stringify(r)).join(', ')}`);
  }
  const compiledRule: CompiledRule = {
    rule,
    program,
    reason,
    fieldPath: raw.fieldPath === undefined ? [] : parseFieldPath(node, String(raw.fieldPath), `${where}.fieldPath`),
    isTransition: usesOldSelf,
    optionalOldSelf: raw.optionalOldSelf === true,
  };
  if (typeof raw.message === 'string' && raw.message.trim() !== '') compiledRule.message = raw.message.trim();
  if (typeof raw.messageExpression === 'string' && raw.messageExpression.trim() !== '') {
    compiledRule.messageExpression = compileExpression(raw.messageExpression, `${where}.messageExpression`, true).program;
  }
  return compiledRule;
}

/** `.spec.x` / `['a.b']` relative paths, which must name fields the schema declares. */
function parseFieldPath(node: SchemaNode, fieldPath: string, where: string): string[] {
  const segments: string[] = [];
  const re = /\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]/y;
  let schema: SchemaNode | undefined = node;
  while (re.lastIndex < fieldPath.length) {
    const m = re.exec(fieldPath);
    const name = m?.[1] ?? m?.[2];
    schema = name === undefined || !schema ? undefined : childSchema(schema, name);
    if (name === undefined || !schema) {
      throw new SchemaError(`${where}: Invalid value: ${JSON.stringify(fieldPath)}: fieldPath must be a valid path to a field declared in the schema`);
    }
    segments.push(name);
  }
  return segments;
}

export function evaluateRules(
  rules: Map<SchemaNode, CompiledRule[]>, node: SchemaNode, value: unknown, old: OldValue, path: string, out: FieldCause[], isRoot = false,
): void {
  if (value === null || value === undefined || !typeMatches(node, value)) return;
  // Ratcheting: a value the update leaves unchanged is not held to rules it may have predated;
  // transition rules still run.
  const unchanged = old.present && deepEqual(old.value, value);
  for (const rule of rules.get(node) ?? []) {
    if (!unchanged || rule.isTransition) evaluateRule(rule, node, value, old, path, out, isRoot);
  }
  if (Array.isArray(value)) {
    const items = node.items;
    if (!items) return;
    value.forEach((item, i) => evaluateRules(rules, items, item, oldItem(node, item, old), joinPath(path, i), out));
    return;
  }
  if (!isObject(value)) return;
  for (const [key, child] of Object.entries(value)) {
    if (isRoot && (key === 'metadata' || key === 'apiVersion' || key === 'kind')) continue;
    const schema = childSchema(node, key);
    if (!schema) continue;
    evaluateRules(rules, schema, child, oldChild(old, key), joinPath(path, key), out);
  }
}

function evaluateRule(rule: CompiledRule, node: SchemaNode, value: unknown, old: OldValue, path: string, out: FieldCause[], isRoot: boolean): void {
  if (rule.isTransition && !old.present && !rule.optionalOldSelf) return;
  const bindings: Record<string, CelInput> = { self: toCel(node, value, isRoot) };
  if (rule.isTransition) {
    const oldValue = old.present ? toCel(node, old.value, isRoot) : undefined;
    bindings.oldSelf = rule.optionalOldSelf ? celOptional(oldValue) : (oldValue as CelInput);
  }
  const result = rule.program(bindings);
  // The root has no path; the apiserver prints it as <nil>.
  const field = rule.fieldPath.reduce(joinPath, path) || '<nil>';
  const typeName = node.type ?? '';
  if (isCelError(result)) {
    out.push(invalid(field, typeName, `${result.message} evaluating rule: ${rule.message ?? rule.rule.trim()}`));
    return;
  }
  if (result === true) return;
  if (typeof result !== 'boolean') {
    out.push(invalid(field, typeName, `rule did not evaluate to a bool: ${rule.rule.trim()}`));
    return;
  }
  const message = messageOf(rule, bindings);
  switch (rule.reason) {
    case 'FieldValueForbidden': out.push(forbidden(field, message)); break;
    case 'FieldValueRequired': out.push(required(field, message)); break;
    case 'FieldValueDuplicate': out.push(duplicate(field, typeName)); break;
    default: out.push(invalid(field, typeName, message));
  }
}

// messageExpression wins when it yields a usable one-line string; otherwise message, else the rule.
function messageOf(rule: CompiledRule, bindings: Record<string, CelInput>): string {
  if (rule.messageExpression) {
    const result = rule.messageExpression(bindings);
    if (typeof result === 'string' && result.trim() !== '' && !/[\r\n]/.test(result)) return result;
  }
  return rule.message ?? `failed rule: ${rule.rule.trim()}`;
}
