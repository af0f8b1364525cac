// Runs the OpenStack simulator as a process: `node dev/sim/openstack/main.ts --port 0 --clouds-yaml <path>`.
// Prints one JSON line {"url", "authUrl", "networkUrl"[, "computeUrl", "imageUrl"]} when ready; stops on SIGTERM/SIGINT.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { simCloudsYaml, startOpenStackSim } from './index.ts';
import { applyLoadOptions, LOAD_OPTIONS } from '../common/faults.ts';
import { closeOnSignals } from '../common/server.ts';

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    'clouds-yaml': { type: 'string' },
    'tags-on-create': { type: 'boolean', default: false },
    'token-ttl': { type: 'string' },
    /** Nova and Glance too. */
    compute: { type: 'boolean', default: false },
    'build-ms': { type: 'string' },
    'task-ms': { type: 'string' },
    ...LOAD_OPTIONS,
  },
});

const sim = await startOpenStackSim({
  host: values.host,
  port: Number(values.port),
  tagsOnCreate: values['tags-on-create'],
  ...(values['token-ttl'] ? { tokenTtlSeconds: Number(values['token-ttl']) } : {}),
  ...(values.compute
    ? {
        compute: {
          ...(values['build-ms'] ? { buildMs: Number(values['build-ms']) } : {}),
          ...(values['task-ms'] ? { taskMs: Number(values['task-ms']) } : {}),
        },
      }
    : {}),
});

applyLoadOptions(sim.faults, values);

const cloudsPath = values['clouds-yaml'];
if (cloudsPath) {
  mkdirSync(dirname(cloudsPath), { recursive: true });
  writeFileSync(cloudsPath, simCloudsYaml(sim.authUrl), { mode: 0o600 });
}

process.stdout.write(`${JSON.stringify({ url: sim.url, authUrl: sim.authUrl, networkUrl: sim.networkUrl, computeUrl: sim.computeUrl, imageUrl: sim.imageUrl })}\n`);

closeOnSignals(sim.close);
