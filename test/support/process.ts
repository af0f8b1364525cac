// A simulator (or any server script) run as a process that announces itself with one JSON line on
// stdout, and stopped by its PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Starts `node script ...args` and resolves with the process and its first line once it printed it. */
export async function startAnnounced(script: string, args: string[]): Promise<{ child: ChildProcess; firstLine: string }> {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const firstLine = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${String(code)}`)));
  });
  return { child, firstLine };
}

/** SIGTERM by PID (when still running); resolves with its exit code once it exited. */
export async function stopProcess(child: ChildProcess): Promise<number | null> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  process.kill(child.pid, 'SIGTERM');
  return exited;
}
