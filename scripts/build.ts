// Builds the production operator: src/main.ts with the code it reaches in its dependencies, bundled
// into dist/main.js, and the licences of the bundled packages into dist/THIRD-PARTY-LICENSES.txt.
// Why one file: @kubernetes/client-node's entry point imports every API group (1,000 modules, 24 MB
// of source that V8 keeps in memory); the bundle keeps what the operator uses (issue 14, P4).
// --out <dir>: another output directory (tests).
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { out: { type: 'string' } } });
const OUT = values.out === undefined ? join(ROOT, 'dist') : resolve(values.out);

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  entryPoints: [join(ROOT, 'src/main.ts')],
  outfile: join(OUT, 'main.js'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  // V8 keeps a script's whole source in memory: whitespace and comments go, names stay (stack
  // traces name the functions); dist/main.js.map maps positions back to the sources.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  sourcemap: 'linked',
  charset: 'ascii',
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);" },
  metafile: true,
  logLevel: 'warning',
});

// One character beyond ASCII and V8 holds the whole source at two bytes a character; esbuild
// escapes them in strings and names, not in regular expression literals.
const nonAscii = /[\u0080-\uffff]/.exec(readFileSync(join(OUT, 'main.js'), 'latin1'));
if (nonAscii) throw new Error(`main.js has a character beyond ASCII at offset ${nonAscii.index}: escape it in its regular expression (\\uXXXX)`);

/** The directory of the package a bundled file belongs to (the innermost node_modules/<name>). */
function packageDir(file: string): string | undefined {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file);
  return match?.[1];
}

const packages = new Set<string>();
for (const output of Object.values(result.metafile.outputs)) {
  for (const input of Object.keys(output.inputs)) {
    const dir = packageDir(input);
    if (dir) packages.add(dir);
  }
}
const notices = [...packages].sort().map((dir) => {
  const path = join(ROOT, dir);
  const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8')) as { name: string; version: string; license?: string };
  const file = readdirSync(path).find((f) => /^(licen[cs]e|copying)/i.test(f));
  const text = file ? readFileSync(join(path, file), 'utf8').trim() : `(no licence file; package.json says ${manifest.license ?? 'nothing'})`;
  return `${manifest.name} ${manifest.version} (${manifest.license ?? 'unknown'})\n\n${text}\n`;
});
writeFileSync(join(OUT, 'THIRD-PARTY-LICENSES.txt'), `Packages bundled into main.js:\n\n${notices.join(`\n${'-'.repeat(72)}\n\n`)}`);
console.log(`built ${join(OUT, 'main.js')} (${packages.size} packages bundled)`);
