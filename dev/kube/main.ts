import { parseArgs } from 'node:util';
import { startKubeApiServer } from './server.ts';
import { writeKubeconfig } from './kubeconfig.ts';

/** `node dev/kube/main.ts --host 127.0.0.1 --port 0 --kubeconfig <path>`: prints {"url": ...} once ready. */
const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    kubeconfig: { type: 'string' },
  },
});

const server = await startKubeApiServer({ host: values.host, port: Number(values.port) });
if (values.kubeconfig) await writeKubeconfig(values.kubeconfig, server.url);
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void server.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
