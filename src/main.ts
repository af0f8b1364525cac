#!/usr/bin/env node
import { parseConfig, usage } from './config.ts';
import { Manager } from './manager.ts';
import { operatorControllers } from './operator.ts';

let parsed;
try {
  parsed = parseConfig(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${usage()}`);
  process.exit(2);
}
if (parsed.help) {
  process.stdout.write(usage());
  process.exit(0);
}

let manager: Manager;
try {
  manager = new Manager({ config: parsed.config, controllers: operatorControllers() });
} catch (err) {
  // E.g. no kubeconfig and not running in a cluster.
  process.stderr.write(`cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    // A second signal while draining means "stop now".
    if (++signals > 1) process.exit(1);
    manager.shutdown(signal);
  });
}
const code = await manager.run().catch((err: unknown) => {
  manager.log.fatal({ err }, 'manager failed');
  return 1;
});
process.exit(code);
