import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Custom folders: every entry is named explicitly (FINDINGS.md). node-llama-cpp and other
// runtime deps stay external so the engine loads the native prebuilt from node_modules.
const external = ['node-llama-cpp', 'electron', 'ws', 'lowdb', 'lowdb/node', /^node:/];

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rolldownOptions: {
        input: {
          index: resolve(__dirname, 'src-main/electron/main.ts'),
          engine: resolve(__dirname, 'src-main/engine/engineProcess.ts'),
          // The remote engine (a llama-server over HTTP): same protocol, no node-llama-cpp (docs/engines.md).
          remoteEngine: resolve(__dirname, 'src-main/engine/remote/remoteEngineProcess.ts'),
          cli: resolve(__dirname, 'src-main/cli/cli.ts'),
          // `reckon eval`: a tools/ entry that bin/reckon.mjs hands to the CLI (runtime code never imports tools/).
          eval: resolve(__dirname, 'tools/eval/evalCommand.ts'),
        },
        external,
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rolldownOptions: {
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
        external: ['electron'],
        // A sandboxed preload must be CommonJS (ESM preloads need sandbox: false): out/preload/index.js.
        output: { format: 'cjs', entryFileNames: '[name].js' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.js') })],
    // The renderer's one way into src-main: the pure common/ layer (also in tsconfig.renderer.json and vitest.config.ts).
    resolve: { alias: { $common: resolve(__dirname, 'src-main/common') } },
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rolldownOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
});
