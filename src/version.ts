// The operator's version: package.json's, which is also the image tag of the install
// (config/base/kustomization.yaml, written by scripts/gen-install.ts). The build bundles the JSON.
import manifest from '../package.json' with { type: 'json' };

export const VERSION: string = manifest.version;
