// One lint setup for the whole repository (run in CI by `npm run lint`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The house rules (see README "Architecture"): libs never import apps; libs/domain is pure (no
// framework, database, broker or MQTT client) and libs/contracts plain (the web UI bundles it);
// no import cycle in the server.
const APPS = { regex: '(^|/)apps/', message: 'libs never import apps: move the shared piece down into a lib' };
const IMPURE = '^(@nestjs/.*|typeorm(/.*)?|aedes(-.*)?|mqtt(/.*)?|mqemitter|socket\\.io(-.*)?|pg|better-sqlite3|rxjs(/.*)?|pino)$';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-output/**', 'bench/results/**', 'apps/web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [APPS] }] },
  },
  {
    files: ['libs/domain/**/*.ts', 'libs/contracts/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            APPS,
            { regex: IMPURE, message: 'libs/domain and libs/contracts stay pure: no framework, database, broker or MQTT client' },
            { regex: '^#(persistence|broker|testing)$', message: 'libs/domain and libs/contracts sit below persistence, broker and testing' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/control-plane/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
);
