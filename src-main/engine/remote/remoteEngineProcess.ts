/**
 * Remote engine process entry: serves EngineMethods over the generic RPC like engineProcess.ts, but drives a
 * llama-server over HTTP (RemoteEngineService) instead of loading node-llama-cpp. The host starts it in place of
 * the built-in engine when an engine URL is chosen; the URL and key come in RECKON_ENGINE_URL / RECKON_ENGINE_KEY
 * (the environment, so the key never shows in a process list).
 */
import { serveEngineProcess } from '../engineTransport';
import { RemoteEngineService } from './RemoteEngineService';

const url = process.env['RECKON_ENGINE_URL'];
if (url === undefined || url === '') {
  process.stderr.write('[engine] the remote engine needs RECKON_ENGINE_URL\n');
  process.exit(1);
}
const apiKey = process.env['RECKON_ENGINE_KEY'];
serveEngineProcess((emit) => new RemoteEngineService({ url, ...(apiKey !== undefined && apiKey !== '' ? { apiKey } : {}) }, emit));
