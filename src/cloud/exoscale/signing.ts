// Exoscale API v2 request signing (EXO2-HMAC-SHA256), as the official clients do it: the string to
// sign is five lines (method and escaped path, exact body bytes, the values of single-valued query
// parameters ordered by name, signed header values (none), the expiry), HMAC-SHA256 with the API
// secret, base64. The simulator verifies with the same functions.
import { createHmac } from 'node:crypto';

export const SCHEME = 'EXO2-HMAC-SHA256';
/** How long a signature stays valid, as the official clients sign. */
export const SIGNATURE_TTL_S = 600;

export interface SignedRequest {
  method: string;
  /** With its query. */
  url: URL;
  body: Buffer | undefined;
}

/** Query parameters with exactly one value, ordered by name: the ones the signature covers. */
export function signedQueryArgs(url: URL): { names: string[]; values: string } {
  const names = [...new Set(url.searchParams.keys())].filter((name) => url.searchParams.getAll(name).length === 1).sort();
  return { names, values: names.map((name) => url.searchParams.get(name)!).join('') };
}

/** The bytes signed: the body as sent, not re-encoded. */
export function stringToSign(request: SignedRequest, expires: number, queryValues: string): Buffer {
  const head = `${request.method} ${request.url.pathname}\n`;
  const tail = `\n${queryValues}\n\n${expires}`;
  return Buffer.concat([Buffer.from(head), request.body ?? Buffer.alloc(0), Buffer.from(tail)]);
}

export function signature(secret: string, signed: Buffer): string {
  return createHmac('sha256', secret).update(signed).digest('base64');
}

/** The Authorization header value for this request, valid until `expires` (Unix seconds). */
export function authorization(key: string, secret: string, request: SignedRequest, expires: number): string {
  const { names, values } = signedQueryArgs(request.url);
  const parts = [`credential=${key}`, ...(names.length > 0 ? [`signed-query-args=${names.join(';')}`] : []), `expires=${expires}`, `signature=${signature(secret, stringToSign(request, expires, values))}`];
  return `${SCHEME} ${parts.join(',')}`;
}

export interface ParsedAuthorization {
  credential: string;
  signedQueryArgs: string[];
  expires: number;
  signature: string;
}

/** The fields of an Authorization header of this scheme, or undefined when it is not one. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (!header?.startsWith(`${SCHEME} `)) return undefined;
  const fields = new Map(
    header
      .slice(SCHEME.length + 1)
      .split(',')
      .map((part) => {
        const at = part.indexOf('=');
        return [part.slice(0, at), part.slice(at + 1)] as const;
      }),
  );
  const credential = fields.get('credential');
  const sig = fields.get('signature');
  const expires = Number(fields.get('expires'));
  if (!credential || !sig || !Number.isInteger(expires)) return undefined;
  const args = fields.get('signed-query-args');
  return { credential, signature: sig, expires, signedQueryArgs: args ? args.split(';') : [] };
}
