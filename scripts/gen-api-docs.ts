// Writes docs/api.md, the reference of every kind and field, from src/api (the schemas of crds/).
// --check: writes nothing, exits 1 if the file differs from what src/api generates.
// --out <path>: another output file (tests).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderAPIDocs } from '../src/api/render-docs.ts';

const { values } = parseArgs({
  options: { check: { type: 'boolean', default: false }, out: { type: 'string' } },
});
const file = values.out === undefined ? join(import.meta.dirname, '..', 'docs', 'api.md') : resolve(values.out);

const wanted = renderAPIDocs();
const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
if (current === wanted) process.exit(0);
if (values.check) {
  console.error(`${file} ${current === undefined ? 'is missing' : 'differs from what src/api generates'} (run \`make api-docs\`)`);
  process.exit(1);
}
writeFileSync(file, wanted);
console.log(`wrote ${file}`);
