// The CEL environment of CRD validation rules: @bufbuild/cel's standard library and string
// extensions, plus the parts of Kubernetes' CEL libraries that rules for networks need (IP,
// CIDR and URL types, lists, sets, regex) and the optional type that `optionalOldSelf` binds
// `oldSelf` to. IP, CIDR, URL and optional values are protobuf messages because @bufbuild/cel
// dispatches methods on message types; their payload lives in the message (IP, CIDR, URL) or in
// a side table (optional).
import { CelScalar, celEnv, celFunc, celMethod, listType, objectType } from '@bufbuild/cel';
import type { CelEnv, CelFunc, CelInput, CelList, CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { create, createFileRegistry } from '@bufbuild/protobuf';
import type { DescMessage, Message } from '@bufbuild/protobuf';
import { reflect } from '@bufbuild/protobuf/reflect';
import type { ReflectMessage } from '@bufbuild/protobuf/reflect';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import {
  formatIP, formatPrefix, maskedPrefix, parseCIDR, parseIP, prefixContainsIP, prefixContainsPrefix,
} from '../../../src/net/ip.ts';
import type { IPAddr, Prefix } from '../../../src/net/ip.ts';
import { ipPredicates } from './net.ts';
import { escapedPathOf, hostnameOf, parseRequestURI, portOf } from './url.ts';
import type { RequestURI } from './url.ts';

const TYPE_STRING = 9;
const LABEL_OPTIONAL = 1;
const textMessage = (name: string) => ({ name, field: [{ name: 'text', jsonName: 'text', number: 1, type: TYPE_STRING, label: LABEL_OPTIONAL }] });
const registry = createFileRegistry(
  create(FileDescriptorProtoSchema, {
    name: 'k8s/cel.proto',
    package: 'net',
    syntax: 'proto3',
    messageType: [textMessage('IP'), textMessage('CIDR'), textMessage('URL'), { name: 'Optional' }],
  }),
  () => undefined,
);
const descOf = (name: string): DescMessage => {
  const desc = registry.getMessage(name);
  if (!desc) throw new Error(`missing CEL type ${name}`);
  return desc;
};
const IP_DESC = descOf('net.IP');
const CIDR_DESC = descOf('net.CIDR');
const URL_DESC = descOf('net.URL');
const OPTIONAL_DESC = descOf('net.Optional');
const IP_TYPE = objectType(IP_DESC);
const CIDR_TYPE = objectType(CIDR_DESC);
const URL_TYPE = objectType(URL_DESC);
const OPTIONAL_TYPE = objectType(OPTIONAL_DESC);
const { STRING, BOOL, INT, DYN } = CelScalar;

function textMessageOf(desc: DescMessage, text: string): ReflectMessage {
  return reflect(desc, create(desc, { text } as never) as Message);
}
function textOf(msg: ReflectMessage): string {
  return String(msg.get(msg.desc.fields[0]!));
}

function toIP(s: string): IPAddr {
  const ip = parseIP(s);
  if (!ip) throw new Error(`IP Address ${JSON.stringify(s)} parse error during conversion from string`);
  return ip;
}
function toPrefix(s: string): Prefix {
  const prefix = parseCIDR(s);
  if (!prefix) throw new Error(`network address ${JSON.stringify(s)} parse error during conversion from string`);
  return prefix;
}
const ipValue = (ip: IPAddr) => textMessageOf(IP_DESC, formatIP(ip));
const cidrValue = (p: Prefix) => textMessageOf(CIDR_DESC, formatPrefix(p));
const ipOf = (msg: ReflectMessage) => toIP(textOf(msg));
const prefixOf = (msg: ReflectMessage) => toPrefix(textOf(msg));

const ipFuncs: CelFunc[] = [
  celFunc('isIP', [STRING], BOOL, (s) => parseIP(s) !== undefined),
  celFunc('ip', [STRING], IP_TYPE, (s) => ipValue(toIP(s))),
  celFunc('ip.isCanonical', [STRING], BOOL, (s) => formatIP(toIP(s)) === s),
  celFunc('string', [IP_TYPE], STRING, (ip) => textOf(ip)),
  celMethod('family', IP_TYPE, [], INT, function () { return BigInt(ipOf(this).family); }),
  ...Object.entries(ipPredicates).map(([name, test]) =>
    celMethod(name, IP_TYPE, [], BOOL, function () { return test(ipOf(this)); })),
];

const cidrFuncs: CelFunc[] = [
  celFunc('isCIDR', [STRING], BOOL, (s) => parseCIDR(s) !== undefined),
  celFunc('cidr', [STRING], CIDR_TYPE, (s) => cidrValue(toPrefix(s))),
  celFunc('string', [CIDR_TYPE], STRING, (c) => textOf(c)),
  celMethod('containsIP', CIDR_TYPE, [IP_TYPE], BOOL, function (ip) { return prefixContainsIP(prefixOf(this), ipOf(ip)); }),
  celMethod('containsIP', CIDR_TYPE, [STRING], BOOL, function (ip) { return prefixContainsIP(prefixOf(this), toIP(ip)); }),
  celMethod('containsCIDR', CIDR_TYPE, [CIDR_TYPE], BOOL, function (c) { return prefixContainsPrefix(prefixOf(this), prefixOf(c)); }),
  celMethod('containsCIDR', CIDR_TYPE, [STRING], BOOL, function (c) { return prefixContainsPrefix(prefixOf(this), toPrefix(c)); }),
  celMethod('ip', CIDR_TYPE, [], IP_TYPE, function () { return ipValue(prefixOf(this).ip); }),
  celMethod('masked', CIDR_TYPE, [], CIDR_TYPE, function () { return cidrValue(maskedPrefix(prefixOf(this))); }),
  celMethod('prefixLength', CIDR_TYPE, [], INT, function () { return BigInt(prefixOf(this).length); }),
];

// Kubernetes' URL library: what Go's url.ParseRequestURI makes of a string.
const uriOf = (msg: ReflectMessage): RequestURI => parseRequestURI(textOf(msg));
const urlFuncs: CelFunc[] = [
  celFunc('isURL', [STRING], BOOL, (s) => {
    try {
      parseRequestURI(s);
      return true;
    } catch {
      return false;
    }
  }),
  celFunc('url', [STRING], URL_TYPE, (s) => {
    parseRequestURI(s);
    return textMessageOf(URL_DESC, s);
  }),
  celMethod('getScheme', URL_TYPE, [], STRING, function () { return uriOf(this).scheme; }),
  celMethod('getHost', URL_TYPE, [], STRING, function () { return uriOf(this).host; }),
  celMethod('getHostname', URL_TYPE, [], STRING, function () { return hostnameOf(uriOf(this)); }),
  celMethod('getPort', URL_TYPE, [], STRING, function () { return portOf(uriOf(this)); }),
  celMethod('getEscapedPath', URL_TYPE, [], STRING, function () { return escapedPathOf(uriOf(this)); }),
];

// Optional values: the wrapped value is kept beside its (identity-compared) message.
const optionalPayload = new WeakMap<object, { value?: CelValue }>();
export function celOptional(value: CelInput | undefined): ReflectMessage {
  const msg = create(OPTIONAL_DESC) as Message;
  optionalPayload.set(msg, value === undefined ? {} : { value: value as CelValue });
  return reflect(OPTIONAL_DESC, msg);
}
function payloadOf(msg: ReflectMessage): { value?: CelValue } {
  return optionalPayload.get(msg.message) ?? {};
}
const optionalFuncs: CelFunc[] = [
  celFunc('optional.none', [], OPTIONAL_TYPE, () => celOptional(undefined)),
  celFunc('optional.of', [DYN], OPTIONAL_TYPE, (v) => celOptional(v)),
  celMethod('hasValue', OPTIONAL_TYPE, [], BOOL, function () { return 'value' in payloadOf(this); }),
  celMethod('value', OPTIONAL_TYPE, [], DYN, function () {
    const payload = payloadOf(this);
    if (!('value' in payload)) throw new Error('optional.none() dereference');
    return payload.value as CelValue;
  }),
  celMethod('orValue', OPTIONAL_TYPE, [DYN], DYN, function (fallback) {
    const payload = payloadOf(this);
    return ('value' in payload ? payload.value : fallback) as CelValue;
  }),
];

// Kubernetes' list library, the parts that are plain functions of the list.
const compare = (a: CelValue, b: CelValue): number => {
  if ((typeof a === 'bigint' || typeof a === 'number') && (typeof b === 'bigint' || typeof b === 'number')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new Error('no such overload: values are not comparable');
};
const itemsOf = (list: CelList): CelValue[] => [...list];
const extreme = (list: CelList, sign: number): CelValue => {
  const items = itemsOf(list);
  if (items.length === 0) throw new Error('min/max of an empty list');
  return items.reduce((best, v) => (compare(v, best) * sign > 0 ? v : best));
};
const LIST = listType(DYN);
const listFuncs: CelFunc[] = [
  celMethod('isSorted', LIST, [], BOOL, function () {
    const items = itemsOf(this);
    return items.every((v, i) => i === 0 || compare(items[i - 1]!, v) <= 0);
  }),
  celMethod('sum', LIST, [], DYN, function () {
    const items = itemsOf(this);
    if (items.length === 0) return 0n;
    return items.reduce((a, b) => ((typeof a === 'bigint' && typeof b === 'bigint') ? a + b : Number(a) + Number(b)) as CelValue);
  }),
  celMethod('min', LIST, [], DYN, function () { return extreme(this, -1); }),
  celMethod('max', LIST, [], DYN, function () { return extreme(this, 1); }),
  celMethod('indexOf', LIST, [DYN], INT, function (v) {
    return BigInt(itemsOf(this).findIndex((item) => item === v));
  }),
  celMethod('lastIndexOf', LIST, [DYN], INT, function (v) {
    return BigInt(itemsOf(this).findLastIndex((item) => item === v));
  }),
];

// Kubernetes' sets library, for lists of scalars.
const setFuncs: CelFunc[] = [
  celFunc('sets.contains', [LIST, LIST], BOOL, (a, b) => itemsOf(b).every((v) => itemsOf(a).includes(v))),
  celFunc('sets.equivalent', [LIST, LIST], BOOL, (a, b) => itemsOf(b).every((v) => itemsOf(a).includes(v)) && itemsOf(a).every((v) => itemsOf(b).includes(v))),
  celFunc('sets.intersects', [LIST, LIST], BOOL, (a, b) => itemsOf(b).some((v) => itemsOf(a).includes(v))),
];

// Kubernetes' regex library (JS RegExp stands in for RE2).
const regexFuncs: CelFunc[] = [
  celMethod('find', STRING, [STRING], STRING, function (pattern) { return new RegExp(pattern, 'u').exec(this)?.[0] ?? ''; }),
  celMethod('findAll', STRING, [STRING], listType(STRING), function (pattern) {
    return [...this.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]);
  }),
  celMethod('findAll', STRING, [STRING, INT], listType(STRING), function (pattern, limit) {
    const all = [...this.matchAll(new RegExp(pattern, 'gu'))].map((m) => m[0]);
    return limit < 0n ? all : all.slice(0, Number(limit));
  }),
];

let env: CelEnv | undefined;
export function validationEnv(): CelEnv {
  env ??= celEnv({ funcs: [...strings, ...ipFuncs, ...cidrFuncs, ...urlFuncs, ...optionalFuncs, ...listFuncs, ...setFuncs, ...regexFuncs], registry });
  return env;
}
