import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** An import a layer must not make: `regex` is matched against the import path as written. */
const forbid = (files, rules) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns: rules.map(([regex, message]) => ({ regex, message })) }] },
});

const CLOUD_SPECIFIC = ['(^|/)cloud/[^/]+/', 'cloud-specific code (src/cloud/<cloud>) belongs to src/providers and src/resources'];
const PLUGINS = ['(^|/)(providers|resources)/', 'providers and adapters are assembled in src/operator.ts, above the generic layers'];
const COMPOSITION = ['(^|/)operator\\.ts$', 'only src/main.ts uses the composition root'];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.tools/', '.dev/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  // Layering (docs/design.md, "Layout"): each layer imports only the ones below it.
  forbid(['src/api/**'], [['(^|/)(runtime|cloud|reconcile|providers|resources|net)/', 'src/api holds only schemas'], COMPOSITION]),
  forbid(['src/runtime/**'], [['(^|/)(api|cloud|reconcile|providers|resources)/', 'src/runtime knows no kind and no cloud'], COMPOSITION]),
  forbid(['src/cloud/**'], [['(^|/)(api|reconcile|providers|resources)/', 'the cloud clients know no kind'], COMPOSITION]),
  forbid(['src/reconcile/**'], [CLOUD_SPECIFIC, PLUGINS, COMPOSITION]),
  forbid(['src/providers/**'], [['(^|/)resources/', 'adapters use providers, not the other way round'], COMPOSITION]),
  forbid(['src/resources/**'], [COMPOSITION]),
);
