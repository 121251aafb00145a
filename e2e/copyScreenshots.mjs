#!/usr/bin/env node
/* global process, console */
// `npm run screenshots`: copies the chosen e2e screenshots into the docs on purpose. The e2e specs write theirs to
// test-results/screenshots/ (ignored, emptied by every Playwright run), so running the tests never dirties the
// checkout. Run the spec that takes a screenshot first, e.g. `npx electron-vite build && npx playwright test e2e/chat.spec.ts`.
import { copyFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shots = join(root, 'test-results', 'screenshots');
/** docs file <- screenshot; the README shows docs/screenshot.png. */
const chosen = { 'docs/screenshot.png': 'chat-light.png' };

let missing = false;
for (const [target, name] of Object.entries(chosen)) {
  const from = join(shots, name);
  if (!existsSync(from)) {
    console.error(`${relative(root, from)} is missing: run the e2e spec that takes it first (npx playwright test e2e/chat.spec.ts).`);
    missing = true;
    continue;
  }
  copyFileSync(from, join(root, target));
  console.log(`${target} <- ${relative(root, from)}`);
}
process.exit(missing ? 1 : 0);
