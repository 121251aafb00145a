#!/usr/bin/env node
/* global process, URL, setTimeout, clearTimeout */
// `npm start`: the desktop app when Electron can run here, else browser mode (`reckon serve`).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const mainJs = join(root, 'out', 'main', 'index.js');

if (!existsSync(join(root, 'out', 'main', 'cli.js'))) {
  process.stderr.write('Reckon is not built yet: run `npm run build` in the project folder first.\n');
  process.exit(1);
}

/**
 * The Electron binary's path from `require('electron')`, or null. It runs in a child with its output captured:
 * when the binary was never downloaded, require('electron') tries to fetch it and prints a long stack on failure.
 */
function electronBinary() {
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(String(require('electron')))"], {
    cwd: root, encoding: 'utf8', timeout: 120_000, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const bin = r.status === 0 ? r.stdout.trim().split('\n').pop() : '';
  return bin && existsSync(bin) ? bin : null;
}

function startElectron(bin) {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.ELECTRON_RUN_AS_NODE;
    const child = spawn(bin, [mainJs, ...process.argv.slice(2)], { stdio: 'inherit', env });
    let settled = false;
    child.once('error', () => { if (!settled) { settled = true; resolve(false); } });
    // A binary that cannot start exits at once; one that ran for a while was a real app session.
    const t = setTimeout(() => { settled = true; resolve(true); }, 3000);
    child.once('exit', (code) => {
      clearTimeout(t);
      if (!settled) { settled = true; resolve(code === 0 ? 'exited' : false); return; }
      process.exit(code ?? 0);
    });
  });
}

const bin = existsSync(mainJs) ? electronBinary() : null;
const ok = bin ? await startElectron(bin) : false;
if (ok === 'exited') process.exit(0);
if (!ok) {
  process.stderr.write('The Electron desktop shell cannot be started on this machine (its binary is not installed), so Reckon is starting in browser mode instead.\n');
  const { main } = await import(new URL('../out/main/cli.js', import.meta.url).href);
  process.exit(await main(['serve', ...process.argv.slice(2)]));
}
