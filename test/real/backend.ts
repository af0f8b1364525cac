// The real-cloud backend: real Keystone + Neutron (+ Nova with PROFILE=full) on 127.0.0.1, run by
// test/real/openstack.sh. startRealOpenStack() attaches to a running environment (make test-real starts it
// once for every test file) or starts one and then stops exactly that one on close().
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./openstack.sh', import.meta.url));

export type RealProfile = 'network' | 'full';

export type RealOpenStackOptions = {
  /** Default: $PROFILE, else "network". */
  profile?: RealProfile;
  /** State directory (default: $CLOUDNET_REAL_DIR, else the script's /tmp/cloudnet-real). */
  dir?: string;
};

export type RealOpenStack = {
  kind: 'real';
  /** Keystone v3 (clouds.yaml auth_url). */
  authUrl: string;
  /** The network endpoint as the catalog lists it (no version suffix). */
  networkUrl: string;
  /** Nova v2.1 and Glance, with the full profile only. */
  computeUrl?: string;
  imageUrl?: string;
  cloudsYamlPath: string;
  /** The clouds.yaml text, as the operator reads it from a Secret. */
  cloudsYaml: string;
  /** The demo user (role member) in project demo. */
  cloudName: string;
  /** The admin user: for out-of-band changes and checks. */
  adminCloudName: string;
  /** Id of the seeded external network "public" (203.0.113.0/24). */
  publicNetworkId: string;
  /** A project-scoped token of a seeded user ("demo" or "admin"; password = user = project). */
  token: (user?: 'demo' | 'admin') => Promise<string>;
  /** Deletes every Neutron resource of project demo (what tests made) and resets its quotas; keeps the seed. */
  purge: () => Promise<void>;
  /** Stops the services if this call started them; leaves an environment it attached to running. */
  close: () => Promise<void>;
};

/** True when the real tier was asked for (make test-real sets it). */
export const realRequested = (): boolean => process.env.CLOUDNET_REAL === '1';

export async function startRealOpenStack(opts: RealOpenStackOptions = {}): Promise<RealOpenStack> {
  const env: NodeJS.ProcessEnv = { ...process.env, PROFILE: opts.profile ?? process.env.PROFILE ?? 'network' };
  if (opts.dir) env.CLOUDNET_REAL_DIR = opts.dir;
  const script = (command: string): Promise<{ stdout: string }> => run('bash', [SCRIPT, command], { env, maxBuffer: 16 << 20 });

  const running = await script('status').then(
    () => true,
    () => false,
  );
  if (!running) await script('up');
  const vars = parseEnv((await script('env')).stdout);
  const need = (key: string): string => {
    const value = vars[key];
    if (!value) throw new Error(`openstack.sh env printed no ${key}`);
    return value;
  };

  const authUrl = need('CLOUDNET_REAL_AUTH_URL');
  const tokens = new Map<string, Promise<string>>();
  const token = (user: 'demo' | 'admin' = 'demo'): Promise<string> => {
    let t = tokens.get(user);
    if (!t) {
      t = issueToken(authUrl, user);
      tokens.set(user, t);
    }
    return t;
  };
  const networkUrl = need('CLOUDNET_REAL_NETWORK_URL');
  const cloudsYamlPath = need('OS_CLIENT_CONFIG_FILE');
  return {
    kind: 'real',
    authUrl,
    networkUrl,
    ...(vars.CLOUDNET_REAL_COMPUTE_URL ? { computeUrl: vars.CLOUDNET_REAL_COMPUTE_URL } : {}),
    ...(vars.CLOUDNET_REAL_IMAGE_URL ? { imageUrl: vars.CLOUDNET_REAL_IMAGE_URL } : {}),
    cloudsYamlPath,
    cloudsYaml: readFileSync(cloudsYamlPath, 'utf8'),
    cloudName: need('CLOUDNET_REAL_CLOUD'),
    adminCloudName: need('CLOUDNET_REAL_ADMIN_CLOUD'),
    publicNetworkId: await publicNetwork(networkUrl, await token('admin'), need('CLOUDNET_REAL_PUBLIC_NETWORK')),
    token,
    purge: async () => {
      await script('purge');
    },
    close: async () => {
      if (!running) await script('stop');
    },
  };
}

function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) out[m[1]] = m[2];
  }
  return out;
}

async function issueToken(authUrl: string, user: string): Promise<string> {
  const domain = { id: 'default' };
  const res = await fetch(`${authUrl}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: { methods: ['password'], password: { user: { name: user, domain, password: user } } },
        scope: { project: { name: user, domain } },
      },
    }),
  });
  const token = res.headers.get('x-subject-token');
  await res.body?.cancel();
  if (res.status !== 201 || !token) throw new Error(`Keystone refused a token for ${user}: HTTP ${res.status}`);
  return token;
}

async function publicNetwork(networkUrl: string, token: string, name: string): Promise<string> {
  const res = await fetch(`${networkUrl}/v2.0/networks?name=${encodeURIComponent(name)}&router:external=true`, { headers: { 'X-Auth-Token': token } });
  const body = (await res.json()) as { networks?: { id: string }[] };
  const id = body.networks?.[0]?.id;
  if (!id) throw new Error(`no external network "${name}" (HTTP ${res.status}); was openstack.sh up seeded?`);
  return id;
}
