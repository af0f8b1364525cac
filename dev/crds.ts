// The CRD manifests `make crds` writes: what the local control plane installs in `make dev`, the
// tests and the benchmarks. crds/kustomization.yaml lists them (for kustomize), so it is the list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

export const CRD_DIR = join(import.meta.dirname, '..', 'crds');

/** Each CRD's file name and its object, as crds/kustomization.yaml lists them. */
export function crdManifests(): { file: string; crd: unknown }[] {
  const { resources } = load(readFileSync(join(CRD_DIR, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  return resources.map((file) => ({ file, crd: load(readFileSync(join(CRD_DIR, file), 'utf8')) }));
}
