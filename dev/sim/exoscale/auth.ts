// Authentication: every request carries an EXO2-HMAC-SHA256 signature, checked with the operator's own
// signing code (src/cloud/exoscale/signing.ts): the simulator signs nothing of its own, so a client and
// the simulator cannot agree on a wrong string to sign only because both copies were wrong alike.
import { parseAuthorization, signature, stringToSign } from '../../../src/cloud/exoscale/signing.ts';

export type ExoscaleCredentials = { key: string; secret: string };

/** An API key as Exoscale issues them (EXO + 24 alphanumerics) and a 43-character secret. */
export const DEFAULT_CREDENTIALS: ExoscaleCredentials = {
  key: 'EXO5e1f0c0a2b3d4e5f60718293',
  secret: 'sim-secret-0123456789abcdefghijklmnopqrstuv',
};

export type SignedInput = {
  method: string;
  /** The path as received, escapes and all (zone prefix and /v2 included): what the client signed. */
  path: string;
  query: URLSearchParams;
  body: Buffer;
  authorization: string | undefined;
};

/** Why the request is refused (the 403's message), or undefined when it is signed by a known key and not expired. */
export function authFailure(input: SignedInput, credentials: readonly ExoscaleCredentials[], nowMs: number): string | undefined {
  if (input.authorization === undefined) return 'missing Authorization header';
  const auth = parseAuthorization(input.authorization);
  if (!auth) return 'malformed Authorization header: expected EXO2-HMAC-SHA256 credential=<key>[,signed-query-args=<names>],expires=<unix time>,signature=<signature>';
  const secret = credentials.find((c) => c.key === auth.credential)?.secret;
  if (secret === undefined) return `unknown API key ${auth.credential}`;
  if (auth.expires < nowMs / 1000) return `request expired at ${new Date(auth.expires * 1000).toISOString()}`;
  // The values of the parameters the header says were signed, in its order (the client sorted them).
  const values = auth.signedQueryArgs.map((name) => input.query.get(name) ?? '').join('');
  const signed = stringToSign({ method: input.method, url: new URL(`http://sim${input.path}`), body: input.body.length > 0 ? input.body : undefined }, auth.expires, values);
  return signature(secret, signed) === auth.signature ? undefined : 'invalid request signature';
}
