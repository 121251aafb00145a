#!/usr/bin/env node
/* global process */
// The `reckon` command: runs the built CLI (out/main/cli.js, made by `npm run build`).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const outMain = join(dirname(fileURLToPath(import.meta.url)), '..', 'out', 'main');
const cli = join(outMain, 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('Reckon is not built yet: run `npm run build` in the project folder first.\n');
  process.exit(1);
}
const { main } = await import(pathToFileURL(cli).href);
// Commands built from tools/ (out/main/eval.js): the runtime CLI never imports tools/, so they are handed in here,
// and loaded only when used.
const evalEntry = join(outMain, 'eval.js');
const tools = existsSync(evalEntry)
  ? { eval: async (o) => (await import(pathToFileURL(evalEntry).href)).evalCommand(o) }
  : {};
const code = await main(process.argv.slice(2), tools);
// The engine child and any sockets are closed by main(); exit explicitly so a stray handle cannot keep us alive.
process.exit(code);
