// The real kubectl against a scenario's cluster, with its own kubeconfig and cache in a directory the
// caller owns; the exit code is returned, not thrown (kubectl diff exits 1 to say "differs").
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigYaml } from '../../dev/kube/kubeconfig.ts';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Kubectl = (...args: string[]) => Promise<KubectlResult>;

export function kubectlFor(serverUrl: string, dir: string): Kubectl {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigYaml(serverUrl), { mode: 0o600 });
  // HOME too: kubectl diff writes its temporary files and reads its config from there.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, KUBECONFIG: kubeconfig };
  return (...args) =>
    new Promise((resolve) => {
      execFile('kubectl', ['--cache-dir', join(dir, 'cache'), ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
}
