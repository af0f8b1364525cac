import { ApiError } from './errors.ts';

/**
 * Decoding of the Kubernetes protobuf encoding for the built-in kinds kubectl's typed clients send
 * that way (`kubectl create namespace|secret|configmap`); client-go 1.32 does not fall back to JSON.
 * Envelope: magic `k8s\0`, then runtime.Unknown {typeMeta(1) {apiVersion(1), kind(2)}, raw(2)}.
 */
export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  value: bigint | Buffer;
}

function readFields(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos];
      if (byte === undefined) throw new Error('truncated varint');
      pos += 1;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    switch (key & 7) {
      case 0:
        fields.push({ no, value: varint() });
        break;
      case 1:
        fields.push({ no, value: buf.subarray(pos, pos + 8) });
        pos += 8;
        break;
      case 2: {
        const length = Number(varint());
        fields.push({ no, value: buf.subarray(pos, pos + length) });
        pos += length;
        break;
      }
      case 5:
        fields.push({ no, value: buf.subarray(pos, pos + 4) });
        pos += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  return fields;
}

const bytesOf = (f: Field): Buffer => (Buffer.isBuffer(f.value) ? f.value : Buffer.alloc(0));
const text = (f: Field): string => bytesOf(f).toString('utf8');

/** Decodes a message into a plain object with one decoder per field number; repeated fields become arrays. */
type FieldDecoder = [name: string, decode: (f: Field) => unknown, repeated?: boolean];

function message(buf: Buffer, decoders: Record<number, FieldDecoder>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of readFields(buf)) {
    const decoder = decoders[field.no];
    if (!decoder) continue;
    const [name, decode, repeated] = decoder;
    if (repeated) out[name] = [...((out[name] as unknown[] | undefined) ?? []), decode(field)];
    else out[name] = decode(field);
  }
  return out;
}

function map(valueOf: (f: Field) => unknown): FieldDecoder[1] {
  return (f) => message(bytesOf(f), { 1: ['key', text], 2: ['value', valueOf] });
}

/** Map entries arrive as repeated {key, value} messages; fold them into an object. */
function foldMaps(obj: Record<string, unknown>, names: string[]): Record<string, unknown> {
  for (const name of names) {
    const entries = obj[name];
    if (Array.isArray(entries)) {
      obj[name] = Object.fromEntries(entries.map((e: { key?: string; value?: unknown }) => [e.key ?? '', e.value ?? '']));
    }
  }
  return obj;
}

const bool = (f: Field): boolean => f.value === 1n;
const base64 = (f: Field): string => bytesOf(f).toString('base64');

function ownerReference(f: Field): unknown {
  return message(bytesOf(f), { 1: ['kind', text], 3: ['name', text], 4: ['uid', text], 5: ['apiVersion', text], 6: ['controller', bool], 7: ['blockOwnerDeletion', bool] });
}

function objectMeta(f: Field): unknown {
  const meta = message(bytesOf(f), {
    1: ['name', text],
    2: ['generateName', text],
    3: ['namespace', text],
    5: ['uid', text],
    6: ['resourceVersion', text],
    11: ['labels', map(text), true],
    12: ['annotations', map(text), true],
    13: ['ownerReferences', ownerReference, true],
    14: ['finalizers', text, true],
  });
  return foldMaps(meta, ['labels', 'annotations']);
}

const DECODERS: Record<string, (raw: Buffer) => Record<string, unknown>> = {
  Namespace: (raw) => message(raw, { 1: ['metadata', objectMeta], 2: ['spec', (f) => message(bytesOf(f), { 1: ['finalizers', text, true] })] }),
  Secret: (raw) =>
    foldMaps(message(raw, { 1: ['metadata', objectMeta], 2: ['data', map(base64), true], 3: ['type', text], 4: ['stringData', map(text), true], 5: ['immutable', bool] }), ['data', 'stringData']),
  ConfigMap: (raw) =>
    foldMaps(message(raw, { 1: ['metadata', objectMeta], 2: ['data', map(text), true], 3: ['binaryData', map(base64), true], 4: ['immutable', bool] }), ['data', 'binaryData']),
};

export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new ApiError(400, 'BadRequest', 'the body of the request was not in the Kubernetes protobuf envelope');
  try {
    const unknown = message(body.subarray(4), {
      1: ['typeMeta', (f) => message(bytesOf(f), { 1: ['apiVersion', text], 2: ['kind', text] })],
      2: ['raw', bytesOf],
    });
    const typeMeta = (unknown['typeMeta'] ?? {}) as { apiVersion?: string; kind?: string };
    const decode = DECODERS[typeMeta.kind ?? ''];
    if (!decode) {
      throw new ApiError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`);
    }
    return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decode((unknown['raw'] as Buffer | undefined) ?? Buffer.alloc(0)) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(400, 'BadRequest', `the body of the request could not be decoded: ${(err as Error).message}`);
  }
}
