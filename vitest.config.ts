import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// unit: pure and fast, beside the code. model: loads real GGUFs (bundled model + ../shared fixtures)
// in one forked worker, one file at a time (2 cores; llama threads set explicitly).
// $common: the renderer's alias for src-main/common (as in electron.vite.config.ts and tsconfig.renderer.json).
const alias = { $common: resolve(import.meta.dirname, 'src-main/common') };

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [svelte({ hot: false } as never)],
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['src-main/**/*.test.ts', 'src-renderer/**/*.test.ts', 'tools/**/*.test.ts'],
          exclude: ['**/*.model.test.ts', 'node_modules/**'],
          environment: 'node',
          // CPU-bound cases (MLP training, Merkle sizes) take ~1 s alone; a generous limit keeps them green on a
          // machine whose cores are busy with other work (no test here measures time).
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'model',
          include: ['src-main/**/*.model.test.ts', 'tools/**/*.model.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
