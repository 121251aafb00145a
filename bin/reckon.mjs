#!/usr/bin/env node
/* global process */
// The `reckon` command: runs the built CLI (out/main/cli.js, made by `npm run build`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('Reckon is not built yet: run `npm run build` in the project folder first.\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
const code = await main(process.argv.slice(2));
// The engine child and any sockets are closed by main(); exit explicitly so a stray handle cannot keep us alive.
process.exit(code);
