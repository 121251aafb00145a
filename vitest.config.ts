import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// unit: pure and fast, beside the code. model: loads real GGUFs (bundled model + ../shared fixtures)
// in one forked worker, one file at a time (2 cores; llama threads set explicitly).
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [svelte({ hot: false } as never)],
        test: {
          name: 'unit',
          include: ['src-main/**/*.test.ts', 'src-renderer/**/*.test.ts'],
          exclude: ['**/*.model.test.ts', 'node_modules/**'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'model',
          include: ['src-main/**/*.model.test.ts', 'models/**/*.model.test.ts', 'test/**/*.model.test.ts'],
          pool: 'forks',
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
