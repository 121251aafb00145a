// One lint config. The import-boundary blocks enforce the folders of ARCHITECTURE.md, one block per folder:
// common <- engine, host <- web, cli, electron; the renderer imports only common (as $common); tools/ may use
// everything in src-main and node-llama-cpp, and nothing in src-main or src-renderer imports tools/ or test support.
// tools/lint/boundaries.test.ts proves every block fires.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import tseslint from 'typescript-eslint';

// Import sources as regular expressions over the specifier ('../engine/x', 'node:fs', '$common/types').
const dir = (name) => `(^|/)${name}(/|$)`;
const pkg = (name) => `^${name}(/|$)`;
const NODE = `^(node:|(${builtinModules.filter((m) => !m.startsWith('_') && !m.includes('/')).join('|')})(/|$))`;
const LLAMA = pkg('node-llama-cpp');
const ELECTRON = pkg('electron');
const NODE_PACKAGES = [pkg('ws'), pkg('lowdb')];
// Test support (host/testing/: the scripted engine, the engine test client) is for tests, never for runtime code.
const TESTING = dir('testing');
const TOOLS = dir('tools');
const RENDERER = dir('src-renderer');
const E2E = dir('e2e');
const TESTS = ['**/*.test.ts'];

/**
 * `files` may not import a source matching any of `forbidden`. no-restricted-imports covers import/export
 * declarations (type-only ones too); no-restricted-syntax adds dynamic import(), which that rule does not see.
 * A file must match only one boundary block: a later block replaces an earlier one's options.
 */
function boundary(files, forbidden, message, ignores) {
  // esquery regex literals cannot contain '/', not even escaped: spell it \x2F.
  const selector = (re) => `ImportExpression[source.value=/${re.replaceAll('/', '\\x2F')}/]`;
  return {
    files,
    ...(ignores !== undefined ? { ignores } : {}),
    rules: {
      'no-restricted-imports': ['error', { patterns: forbidden.map((regex) => ({ regex, message })) }],
      'no-restricted-syntax': ['error', ...forbidden.map((re) => ({ selector: selector(re), message }))],
    },
  };
}

const layers = ['engine', 'host', 'web', 'cli', 'electron'].map(dir);

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'models/recipe/**', 'dist/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  // .svelte files: eslint-plugin-svelte parses script and markup (template uses count), TypeScript inside.
  ...svelte.configs.recommended,
  { files: ['**/*.svelte', '**/*.svelte.ts'], languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    // TypeScript (svelte-check) resolves names; no-undef does not know the DOM's.
    rules: { 'no-undef': 'off' } },

  boundary(['src-main/common/**'], [NODE, LLAMA, ELECTRON, ...NODE_PACKAGES, ...layers, dir('audit'), TESTING, TOOLS, RENDERER],
    'common/ is pure TypeScript shared by every process: no Node, Electron, llama, upper layers, test support or tools.'),

  boundary(['src-main/engine/**'], [ELECTRON, dir('host'), dir('web'), dir('cli'), dir('electron'), dir('audit'), TESTING, TOOLS, RENDERER],
    'engine/ may import only common/ and node-llama-cpp.', TESTS),
  // The remote engine (a llama-server over HTTP) runs without node-llama-cpp; remote.test.ts checks what it reaches.
  boundary(['src-main/engine/remote/**'], [LLAMA, ELECTRON, dir('host'), dir('web'), dir('cli'), dir('electron'), dir('audit'), TESTING, TOOLS, RENDERER],
    'engine/remote/ drives a llama-server over HTTP: it may import common/ and engine/ files that do not load node-llama-cpp.', TESTS),
  // Engine tests drive the real engine process through the test client in host/testing/.
  boundary(TESTS.map((t) => `src-main/engine/${t}`), [ELECTRON, '(^|/)host/(?!testing/)', '(^|/)host$', dir('web'), dir('cli'), dir('electron'), dir('audit'), TOOLS, RENDERER],
    'engine tests may import common/, engine/ and the test support in host/testing/.'),

  // src-main/audit/ holds only the receipt key store, host-side code on its way into host/.
  boundary(['src-main/host/**', 'src-main/audit/**'], [LLAMA, ELECTRON, ...layers.filter((l) => l !== dir('host')), '(^|/)audit/(?!keyStore)', TESTING, TOOLS, RENDERER],
    'host/ talks to the engine through its process protocol, never by importing it, and never imports tools or test support.',
    ['src-main/host/testing/**', ...TESTS]),
  boundary([...TESTS.map((t) => `src-main/host/${t}`), ...TESTS.map((t) => `src-main/audit/${t}`)],
    [LLAMA, ELECTRON, dir('engine'), dir('web'), dir('cli'), dir('electron'), TOOLS, RENDERER],
    'host tests use the scripted engine in host/testing/, never the engine itself.'),
  boundary(['src-main/host/testing/**'], [LLAMA, ELECTRON, dir('engine'), dir('web'), dir('cli'), dir('electron'), TOOLS, RENDERER],
    'test support speaks the engine protocol (or forks the engine entry by path); it imports common/ and host/ only.'),

  boundary(['src-main/web/**'], [LLAMA, ELECTRON, dir('engine'), dir('cli'), dir('electron'), dir('audit'), TESTING, TOOLS, RENDERER],
    'web/ is a front door: it reaches the engine only through host/.', TESTS),
  boundary(['src-main/cli/**'], [LLAMA, ELECTRON, dir('engine'), dir('electron'), dir('audit'), TESTING, TOOLS, RENDERER],
    'cli/ is a front door: it reaches the engine only through host/; tools commands are handed in by bin/reckon.mjs.', TESTS),
  boundary(['src-main/electron/**'], [LLAMA, dir('engine'), dir('web'), dir('cli'), dir('audit'), TESTING, TOOLS, RENDERER],
    'electron/ is a front door: it reaches the engine only through host/.', TESTS),
  boundary(['src-main/{web,cli,electron}/**/*.test.ts'], [LLAMA, dir('engine'), TOOLS, RENDERER],
    'front-door tests run a real host (with the scripted engine from host/testing/), never the engine directly.'),

  boundary(['src-renderer/**'], [NODE, LLAMA, ELECTRON, ...NODE_PACKAGES, dir('src-main'), TOOLS, E2E],
    'the renderer imports only pure code from src-main/common, and as $common.'),

  boundary(['tools/**'], [ELECTRON, RENDERER, E2E],
    'tools/ may use src-main (engine included) and node-llama-cpp, but not the renderer, the e2e suite or Electron.'),

  boundary(['e2e/**'], [LLAMA, ELECTRON, dir('engine'), TOOLS],
    'e2e drives the app from outside (browser mode, host, scripted engine): no engine, llama, Electron or tools.'),

  boundary(['bin/**'], [dir('src-main'), TOOLS, RENDERER],
    'bin/ runs the built files in out/, never the sources.'),
);
