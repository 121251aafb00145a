/**
 * Engine process entry: the only process that loads node-llama-cpp. Runs as an Electron
 * utilityProcess or a child_process.fork child; serves EngineMethods over the generic RPC (common/rpc):
 * HostToEngine calls in, EngineToHost replies and events out (common/engineProtocol.ts).
 */
import type { EngineEvent } from '../common/engineProtocol';
import { RpcServer } from '../common/rpc/RpcServer';
import { createEngineTransport } from './engineTransport';
import { EngineService } from './EngineService';

const transport = createEngineTransport();
// EngineService.call owns the method table: unknown methods and malformed params are BAD_REQUEST there.
const server = new RpcServer<EngineEvent>((method, params) => service.call(method, params));
const service = new EngineService((event) => server.emit(event));
server.serve(transport);

// A stray rejection in a callback must not take the engine (and every loaded model) down.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`[engine] unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

process.on('uncaughtException', (err) => {
  process.stderr.write(`[engine] uncaught exception: ${err.stack ?? String(err)}\n`);
});

transport.send({ kind: 'ready', pid: process.pid });
