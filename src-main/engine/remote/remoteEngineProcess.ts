/**
 * Remote engine process entry: serves EngineMethods over the generic RPC like engineProcess.ts, but drives a
 * llama-server over HTTP (RemoteEngineService) instead of loading node-llama-cpp. The host starts it in place of
 * the built-in engine when an engine URL is chosen; the URL and key come in RECKON_ENGINE_URL / RECKON_ENGINE_KEY
 * (the environment, so the key never shows in a process list).
 */
import type { EngineEvent } from '../../common/engineProtocol';
import { RpcServer } from '../../common/rpc/RpcServer';
import { createEngineTransport } from '../engineTransport';
import { RemoteEngineService } from './RemoteEngineService';

const url = process.env['RECKON_ENGINE_URL'];
if (url === undefined || url === '') {
  process.stderr.write('[engine] the remote engine needs RECKON_ENGINE_URL\n');
  process.exit(1);
}
const apiKey = process.env['RECKON_ENGINE_KEY'];
const transport = createEngineTransport();
const server = new RpcServer<EngineEvent>((method, params) => service.call(method, params));
const service = new RemoteEngineService({ url, ...(apiKey !== undefined && apiKey !== '' ? { apiKey } : {}) }, (event) => server.emit(event));
server.serve(transport);

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`[engine] unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});
process.on('uncaughtException', (err) => {
  process.stderr.write(`[engine] uncaught exception: ${err.stack ?? String(err)}\n`);
});

transport.send({ kind: 'ready', pid: process.pid });
