import type { EngineEvent, EngineToHost } from '../common/engineProtocol';
import { RpcServer } from '../common/rpc/RpcServer';
import type { RpcPort } from '../common/rpc/types';

/** The engine's link to its host, whichever way it was started: the port the engine's RPC server serves. */
export type EngineTransport = RpcPort<EngineToHost>;

/** Electron's utilityProcess port: messages arrive wrapped as `{data}`. */
interface ParentPort {
  postMessage(msg: unknown): void;
  on(event: 'message', cb: (e: { data: unknown }) => void): void;
}

/**
 * Picks the transport: Electron utilityProcess (`process.parentPort`) or a `child_process.fork` IPC
 * channel (`process.send`). Anything else is a mistake in how the engine was started.
 */
export function createEngineTransport(): EngineTransport {
  const port = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (port !== undefined) {
    return {
      send: (msg) => port.postMessage(msg),
      onFrame: (cb) => port.on('message', (e) => cb(e.data)),
      // A utility process ends with its parent: there is no close to report.
      onClose: () => undefined,
    };
  }
  const send = process.send?.bind(process);
  if (send !== undefined) {
    // The host died or closed the channel: nothing left to serve, and an orphaned engine holds memory.
    process.on('disconnect', () => process.exit(0));
    return {
      send: (msg) => {
        if (process.connected) send(msg);
      },
      onFrame: (cb) => process.on('message', cb),
      onClose: (cb) => process.on('disconnect', () => cb()),
    };
  }
  throw new Error('The engine must be started as an Electron utility process or with child_process.fork.');
}

/**
 * What every engine process entry does: serves `call` (the engine's method table) over the generic RPC on this
 * process's transport, keeps a stray rejection or exception in a callback from taking the process (and every loaded
 * model) down, and tells the host it is ready. `make` gets the event sink the service emits through.
 */
export function serveEngineProcess(make: (emit: (event: EngineEvent) => void) => { call(method: unknown, params: unknown): Promise<unknown> }): void {
  const transport = createEngineTransport();
  const server = new RpcServer<EngineEvent>((method, params) => service.call(method, params));
  const service = make((event) => server.emit(event));
  server.serve(transport);
  process.on('unhandledRejection', (reason) => {
    process.stderr.write(`[engine] unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
  });
  process.on('uncaughtException', (err) => {
    process.stderr.write(`[engine] uncaught exception: ${err.stack ?? String(err)}\n`);
  });
  transport.send({ kind: 'ready', pid: process.pid });
}
