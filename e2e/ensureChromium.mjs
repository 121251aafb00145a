#!/usr/bin/env node
/* global process, console */
// The e2e tests drive Debian's Chromium (Playwright's own browser download is impossible offline).
// Runs before `npm test`: installs it when missing and we may (root + apt), else says exactly what to do.
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root) {
    console.error(`The e2e tests need Debian's Chromium at ${CHROMIUM}: run \`sudo apt-get install -y chromium\`, then \`npm test\` again.`);
    process.exit(1);
  }
  console.error(`Installing Debian's Chromium for the e2e tests (apt-get install chromium)...`);
  execSync('apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium', { stdio: 'inherit' });
}
