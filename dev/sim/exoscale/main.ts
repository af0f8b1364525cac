// Runs the Exoscale simulator as a process: `node dev/sim/exoscale/main.ts --port 0 [--write-env-file <path>]`.
// Prints one JSON line {"url", "endpoint", "apiKey"} when ready (never the secret: that goes only to the
// env file, mode 0600); stops on SIGTERM/SIGINT. Not `--env-file`: node takes that flag as its own wherever
// it stands on the command line (and exits when the file does not exist yet).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { startExoscaleSim, ZONES } from './index.ts';
import { applyLoadOptions, LOAD_OPTIONS } from '../common/faults.ts';
import { closeOnSignals } from '../common/server.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'operation-polls': { type: 'string' },
    /** Instance names, seeded in every zone. */
    instances: { type: 'string' },
    /** EXOSCALE_API_KEY, EXOSCALE_API_SECRET and EXOSCALE_API_ENDPOINT lines, for a shell or a client. */
    'write-env-file': { type: 'string' },
    ...LOAD_OPTIONS,
  },
});

const sim = await startExoscaleSim({
  host: values.host,
  port: Number(values.port),
  ...(values['operation-polls'] !== undefined ? { operationPolls: Number(values['operation-polls']) } : {}),
});

applyLoadOptions(sim.faults, values);

const names = (values.instances ?? '').split(',').map((n) => n.trim()).filter(Boolean);
for (const zone of ZONES) for (const name of names) sim.zone(zone).addInstance({ name });

const envPath = values['write-env-file'];
if (envPath) {
  mkdirSync(dirname(envPath), { recursive: true });
  // A new file, created 0600: an existing one could be readable by others before a chmod.
  rmSync(envPath, { force: true });
  const { key, secret } = sim.credentials;
  writeFileSync(envPath, `EXOSCALE_API_KEY=${key}\nEXOSCALE_API_SECRET=${secret}\nEXOSCALE_API_ENDPOINT=${sim.endpoint()}\n`, { mode: 0o600, flag: 'wx' });
}

process.stdout.write(`${JSON.stringify({ url: sim.url, endpoint: sim.endpoint(), apiKey: sim.credentials.key })}\n`);

closeOnSignals(sim.close);
