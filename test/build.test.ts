// The production build (`make build`, the image's dist/): a bundle that starts, a fraction of the
// size of what it bundles, with the licences of every package in it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

describe('the production build', () => {
  it('bundles an operator that starts, under 6 MB, with the licences of the packages it bundles', () => {
    const out = mkdtempSync(join(tmpdir(), 'cloudnet-build-'));
    try {
      execFileSync(process.execPath, ['scripts/build.ts', '--out', out], { cwd: ROOT, stdio: 'pipe' });
      // Every module of the bundle is evaluated before the flags are read.
      expect(execFileSync(process.execPath, [join(out, 'main.js'), '--help'], { encoding: 'utf8' })).toMatch(/^Usage: cloudnet-operator/);
      expect(statSync(join(out, 'main.js')).size).toBeLessThan(6 * 1024 * 1024);
      const licences = readFileSync(join(out, 'THIRD-PARTY-LICENSES.txt'), 'utf8');
      for (const name of Object.keys(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).dependencies as Record<string, string>)) {
        expect(licences).toMatch(new RegExp(`^${name.replace(/[/.]/g, '\\$&')} \\d`, 'm'));
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
