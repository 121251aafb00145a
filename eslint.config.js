// One lint config. The import-boundary rule enforces the layers of ARCHITECTURE.md:
// common <- engine, host <- web, cli, electron; the renderer imports only from common.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const forbid = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'models/recipe/**', '**/*.svelte', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src-main/common/**'],
    rules: forbid(['**/engine/**', '**/host/**', '**/web/**', '**/cli/**', '**/electron/**', 'node:*', 'electron', 'node-llama-cpp'],
      'common/ is pure TypeScript: no Node, Electron, llama or upper layers.'),
  },
  {
    files: ['src-main/engine/**'],
    rules: forbid(['**/host/**', '**/web/**', '**/cli/**', '**/electron/**', 'electron'],
      'engine/ may import only common/ and node-llama-cpp.'),
  },
  {
    files: ['src-main/host/**'],
    rules: forbid(['**/engine/*', '!**/engine/engineEntry*', '**/web/**', '**/cli/**', '**/electron/**', 'node-llama-cpp', 'electron'],
      'host/ talks to the engine through its process protocol, never by importing it.'),
  },
  {
    files: ['src-main/web/**', 'src-main/cli/**', 'src-main/electron/**'],
    rules: forbid(['**/engine/**', 'node-llama-cpp'], 'front doors reach the engine only through host/.'),
  },
  {
    files: ['src-renderer/**'],
    rules: forbid(['**/src-main/engine/**', '**/src-main/host/**', '**/src-main/web/**', '**/src-main/cli/**', '**/src-main/electron/**', 'node:*', 'electron', 'node-llama-cpp'],
      'the renderer imports only types and pure code from src-main/common.'),
  },
);
