// Key pairs, per user: imported (public_key, required from 2.92) or generated (RSA, before 2.92), with the
// MD5 fingerprint Nova computes; listed, shown and deleted by name.
import { createHash, generateKeyPairSync } from 'node:crypto';
import type { AuthContext } from '../keystone.ts';
import { isoMicro, paginate, type NovaContext } from './context.ts';
import { badRequest, conflict, forbidden, itemNotFound } from './errors.ts';
import type { Keypair, NovaState } from './model.ts';
import { invalidInput, member, reason, rejectUnknown, type Obj } from './schema.ts';

const NAME = /^[a-zA-Z0-9 @._-]+$/;

const keyNotFound = (name: string, userId: string): Error => itemNotFound(`Keypair ${name} not found for user ${userId}`);

/** MD5 of the key's base64 blob, as colon-separated hex: what `ssh-keygen -l -E md5` prints. */
function fingerprint(publicKey: string): string {
  const blob = publicKey.trim().split(/\s+/)[1] ?? '';
  const bytes = Buffer.from(blob, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || bytes.length < 4 || bytes.readUInt32BE(0) + 4 > bytes.length) throw badRequest('Keypair data is invalid: failed to generate fingerprint');
  return createHash('md5').update(bytes).digest('hex').replace(/(..)(?!$)/g, '$1:');
}

/** A new RSA key as Nova generates one: the OpenSSH public key and the PKCS#1 PEM private key. */
function generate(name: string): { publicKey: string; privateKey: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  /** SSH wire format: a 32-bit length, then the bytes. */
  const field = (b: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  const mpint = (b64url: string | undefined): Buffer => {
    const raw = Buffer.from(b64url ?? '', 'base64url');
    return field((raw[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw);
  };
  const blob = Buffer.concat([field(Buffer.from('ssh-rsa')), mpint(jwk.e), mpint(jwk.n)]);
  return { publicKey: `ssh-rsa ${blob.toString('base64')} Generated-by-Nova-${name}`, privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
}

export class Keypairs {
  readonly #state: NovaState;
  readonly #now: () => number;

  constructor(state: NovaState, now: () => number) {
    this.#state = state;
    this.#now = now;
  }

  /** A key pair of the caller, by name. */
  find(caller: AuthContext, name: string): Keypair | undefined {
    return this.#state.keypairs.get(`${caller.userId}/${name}`);
  }

  list(ctx: NovaContext): Obj {
    const mine = [...this.#state.keypairs.values()].filter((k) => k.userId === ctx.caller.userId).sort((a, b) => a.name.localeCompare(b.name));
    const paged = ctx.version.atLeast('2.35') ? paginate(ctx, 'os-keypairs', mine, (k) => k.name) : { page: mine };
    const keypairs = paged.page.map((k) => ({ keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, ...(ctx.version.atLeast('2.2') ? { type: k.type } : {}) } }));
    return { keypairs, ...(paged.links ? { keypairs_links: paged.links } : {}) };
  }

  show(ctx: NovaContext, name: string): Obj {
    const k = this.find(ctx.caller, name);
    if (!k) throw keyNotFound(name, ctx.caller.userId);
    return {
      keypair: {
        name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, user_id: k.userId, created_at: isoMicro(k.created),
        deleted: false, deleted_at: null, id: k.id, updated_at: null, ...(ctx.version.atLeast('2.2') ? { type: k.type } : {}),
      },
    };
  }

  /** POST /os-keypairs: 201 from 2.2 on (200 before), the private key only when Nova made the pair. */
  create(ctx: NovaContext, body: unknown): { status: number; body: Obj } {
    const kp = member(body, 'keypair');
    const v = ctx.version;
    const known = ['name', 'public_key', ...(v.atLeast('2.2') ? ['type'] : []), ...(v.atLeast('2.10') && ctx.caller.isAdmin ? ['user_id'] : [])];
    if (typeof kp.name !== 'string') throw invalidInput('name', kp.name, reason.type(kp.name, 'string'));
    if (kp.public_key !== undefined && typeof kp.public_key !== 'string') throw invalidInput('public_key', kp.public_key, reason.type(kp.public_key, 'string'));
    if (kp.type !== undefined && kp.type !== 'ssh' && kp.type !== 'x509') throw invalidInput('type', kp.type, reason.oneOf(kp.type, ['ssh', 'x509']));
    for (const p of ['name', ...(v.atLeast('2.92') ? ['public_key'] : [])]) if (kp[p] === undefined) throw invalidInput('keypair', kp, reason.required(p));
    rejectUnknown('keypair', kp, known);
    const name = kp.name;
    if (name.length === 0 || name.length > 255 || !NAME.test(name) || name.trim() !== name) {
      throw badRequest("An invalid 'name' value was provided. The name must be: Only expected characters: [@._- 0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ]");
    }
    const userId = ctx.caller.userId;
    if ([...this.#state.keypairs.values()].filter((k) => k.userId === userId).length >= this.#state.quotaFor(ctx.caller.projectId, 'key_pairs')) throw forbidden('Quota exceeded, too many key pairs.');
    if (this.find(ctx.caller, name)) throw conflict(`Key pair '${name}' already exists.`);
    const generated = kp.public_key === undefined ? generate(name) : undefined;
    const publicKey = generated?.publicKey ?? (kp.public_key as string);
    const keypair: Keypair = { id: this.#state.nextKeypairId(), name, userId, publicKey, fingerprint: fingerprint(publicKey), type: (kp.type as Keypair['type'] | undefined) ?? 'ssh', created: this.#now() };
    this.#state.keypairs.set(`${userId}/${name}`, keypair);
    const out: Obj = {
      ...(generated ? { private_key: generated.privateKey } : {}),
      ...(v.atLeast('2.2') ? { type: keypair.type } : {}),
      name, public_key: publicKey, fingerprint: keypair.fingerprint, user_id: userId,
    };
    return { status: v.atLeast('2.2') ? 201 : 200, body: { keypair: out } };
  }

  /** DELETE: 204 from 2.2 on, 202 before. */
  remove(ctx: NovaContext, name: string): number {
    if (!this.find(ctx.caller, name)) throw keyNotFound(name, ctx.caller.userId);
    this.#state.keypairs.delete(`${ctx.caller.userId}/${name}`);
    return ctx.version.atLeast('2.2') ? 204 : 202;
  }
}
