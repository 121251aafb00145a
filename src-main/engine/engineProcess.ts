/**
 * Engine process entry: the only process that loads node-llama-cpp. Runs as an Electron
 * utilityProcess or a child_process.fork child; speaks HostToEngine / EngineToHost (common/engineProtocol.ts).
 */
import type { HostToEngine } from '../common/engineProtocol';
import { ReckonError } from '../common/errors';
import { createEngineTransport } from './engineTransport';
import { EngineService } from './EngineService';

const transport = createEngineTransport();
const service = new EngineService((event) => transport.send({ kind: 'event', event }));

transport.onMessage((raw) => {
  const msg = raw as Partial<HostToEngine> | null;
  if (msg === null || typeof msg !== 'object' || msg.kind !== 'call' || typeof msg.id !== 'number') {
    process.stderr.write(`[engine] ignored a malformed message\n`);
    return;
  }
  const id = msg.id;
  service.call(msg.method, msg.params).then(
    (result) => transport.send({ kind: 'result', id, result: result ?? null }),
    (err: unknown) => transport.send({ kind: 'error', id, error: ReckonError.from(err).toPayload() }),
  );
});

// A stray rejection in a callback must not take the engine (and every loaded model) down.
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`[engine] unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`);
});

process.on('uncaughtException', (err) => {
  process.stderr.write(`[engine] uncaught exception: ${err.stack ?? String(err)}\n`);
});

transport.send({ kind: 'ready', pid: process.pid });
