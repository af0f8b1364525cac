// docs/api.md is what the schemas generate, and `gen-api-docs --check` keeps it so (`make test`
// fails on stale docs); the walk over a CRD's schema says what the reference shows of each field.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { kinds, network, subnet } from '../../src/api/index.ts';
import { renderAPIDocs } from '../../src/api/render-docs.ts';
import { describeSchema } from '../../src/api/schema-fields.ts';

const root = join(import.meta.dirname, '..', '..');
const script = join(root, 'scripts', 'gen-api-docs.ts');

function genApiDocs(...args: string[]) {
  const result = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const specSchema = (kind: typeof network | typeof subnet) => kind.crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;

describe('scripts/gen-api-docs.ts', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('--check passes on the committed docs/api.md', () => {
    const { code, stderr } = genApiDocs('--check');
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('--check exits 1 on a stale or missing file and writes nothing; without it, writes what the schemas generate', () => {
    dir = mkdtempSync(join(tmpdir(), 'api-docs-'));
    const file = join(dir, 'api.md');
    expect(genApiDocs('--check', `--out=${file}`)).toMatchObject({ code: 1, stderr: expect.stringContaining('is missing (run `make api-docs`)') });
    writeFileSync(file, '# edited by hand\n');
    expect(genApiDocs('--check', `--out=${file}`)).toMatchObject({ code: 1, stderr: expect.stringContaining('differs from what src/api generates') });
    expect(readFileSync(file, 'utf8')).toBe('# edited by hand\n');
    expect(genApiDocs(`--out=${file}`)).toMatchObject({ code: 0 });
    expect(readFileSync(file, 'utf8')).toBe(renderAPIDocs());
  });
});

describe('the API reference', () => {
  it('has a section per kind with its spec, status and validation rules', () => {
    const docs = renderAPIDocs();
    for (const { kind } of kinds) {
      expect(docs).toMatch(new RegExp(`^## ${kind}\\n\\n.+\\n\\n.+\\n\\n### Spec\\n[^#]+### Status\\n[^#]+### Validation rules\\n`, 'm'));
    }
  });

  it('shows a field as required, defaulted, immutable and bounded as the schema says', () => {
    const fields = new Map(describeSchema(specSchema(network), 'spec').fields.map((f) => [f.path, f]));
    expect(fields.get('spec.providerConfigRef')).toMatchObject({ required: true, immutable: true, type: 'object' });
    expect(fields.get('spec.managementPolicy')).toMatchObject({ required: false, default: 'Managed', constraints: ['one of `"Managed"`, `"ObserveOnly"`'] });
    // Immutable by its parent's rule (an optional field: has(self.x) == has(oldSelf.x) && ...).
    expect(fields.get('spec.import')).toMatchObject({ immutable: true });
    expect(fields.get('spec.resource.availabilityZoneHints')).toMatchObject({
      immutable: true,
      type: 'array of string',
      constraints: ['items ≤ 16', 'a set: no duplicates', 'each length 1 to 255'],
    });
    expect(fields.get('spec.resource.mtu')).toMatchObject({ immutable: false, type: 'integer', constraints: ['68 to 9216'] });
    expect(fields.get('spec.resource.description')).toMatchObject({ immutable: false, required: false });
  });

  it('lists every CEL rule once, with the field it reports and whether it is checked on update only', () => {
    const { fields, rules } = describeSchema(specSchema(subnet), 'spec');
    expect(fields.map((f) => f.path)).toContain('spec.resource.allocationPools[].start');
    expect(rules).toContainEqual({ path: 'spec.resource.gatewayIP', message: 'gatewayIP must be an address inside cidr', onUpdate: false });
    expect(rules).toContainEqual({ path: 'spec.resource.cidr', message: 'cidr is immutable: create a new Subnet to change it', onUpdate: true });
    expect(rules).toContainEqual(expect.objectContaining({ path: 'spec.resource.tags[]', message: 'tags starting with cloudnet- are reserved for the operator' }));
    // A Subnet's schema has no property named "rule": every "rule" key is one CEL rule.
    expect(rules).toHaveLength(JSON.stringify(specSchema(subnet)).match(/"rule":/g)!.length);
  });
});
