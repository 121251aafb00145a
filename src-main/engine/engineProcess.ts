/**
 * Engine process entry: the only process that loads node-llama-cpp. Runs as an Electron
 * utilityProcess or a child_process.fork child; serves EngineMethods over the generic RPC (common/rpc):
 * HostToEngine calls in, EngineToHost replies and events out (common/engineProtocol.ts).
 */
import { serveEngineProcess } from './engineTransport';
import { EngineService } from './EngineService';

// EngineService.call owns the method table: unknown methods and malformed params are BAD_REQUEST there.
serveEngineProcess((emit) => new EngineService(emit));
