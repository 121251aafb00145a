import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { api } from './api';
import { BUNDLED_MODEL } from './helpers';
import { repoRoot, startServer } from './server';

/**
 * Starts browser mode once for the run. Builds nothing (`npm run test:e2e` builds first).
 * Threads are pinned to 1: the machine has 2 cores shared with other work, and measuring would be noise.
 * RECKON_E2E_MODEL=<path> imports and selects another model (development only; the suite targets the bundled one).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(repoRoot, 'out', 'renderer', 'index.html'))) {
    throw new Error('out/ is not built: run `npx electron-vite build` (npm run test:e2e does it).');
  }
  // The app ships this model, so a checkout without it is broken: fail instead of skipping its specs.
  if (!existsSync(BUNDLED_MODEL)) {
    throw new Error(`${BUNDLED_MODEL} is missing: the bundled model is part of the checkout (see models/README.md).`);
  }
  const server = await startServer();
  process.env['RECKON_E2E_URL'] = server.url;
  await api(server.url, 'settings.update', { threads: 1, temperature: 0, maxTokens: 512 });
  const override = process.env['RECKON_E2E_MODEL'];
  if (override) {
    const m = await api(server.url, 'models.import', { path: resolve(repoRoot, override) });
    await api(server.url, 'settings.update', { modelId: m.id });
  }
  return () => server.stop();
}
