// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import project from './eslint/layers.mjs';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.cache/**', 'agents/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // docs/ARCHITECTURE.md: imports point down the layers; vscode only in *.vscode.ts adapters;
    // zeromq loaded by src/collector/zmq.ts alone (eslint/layers.mjs, proven by test/unit/lint-layers.test.ts).
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    plugins: { project },
    rules: { 'project/layers': 'error', 'project/vscode-adapters': 'error', 'project/one-zeromq-loader': 'error' },
  },
);
