// Writes crds/<plural>.cloudnet.io.yaml from src/api and removes stale files.
// --check: writes nothing, lists the differences and exits 1 if there are any.
// --dir <path>: another output directory (tests).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderCRDs } from '../src/api/render.ts';

const { values } = parseArgs({
  options: { check: { type: 'boolean', default: false }, dir: { type: 'string' } },
});
const dir = values.dir === undefined ? join(import.meta.dirname, '..', 'crds') : resolve(values.dir);
const check = values.check;

const wanted = renderCRDs();
const present = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml')) : [];
const differences: string[] = [];

for (const [file, content] of wanted) {
  const path = join(dir, file);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === content) continue;
  if (check) {
    differences.push(`${current === undefined ? 'missing' : 'differs'}: ${file}`);
  } else {
    mkdirSync(dir, { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${join(dir, file)}`);
  }
}
for (const file of present.filter((f) => !wanted.has(f))) {
  if (check) {
    differences.push(`stale: ${file}`);
  } else {
    rmSync(join(dir, file));
    console.log(`removed ${join(dir, file)}`);
  }
}

if (differences.length > 0) {
  console.error(`${dir} differs from what src/api generates (run \`make crds\`):\n  ${differences.join('\n  ')}`);
  process.exit(1);
}
