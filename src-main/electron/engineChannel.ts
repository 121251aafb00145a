import { app, utilityProcess, type UtilityProcess } from 'electron';
import type { EngineToHost } from '../common/engineProtocol';
import { cleanEngineEnv, FailureLog, type EngineChannel, type EngineSpawner } from '../host/index';

/**
 * Wraps Electron's utilityProcess into the host's EngineChannel. The engine entry speaks to its parent
 * through process.parentPort there; the crash reason (e.g. 'crashed', 'oom') comes from app's
 * 'child-process-gone' event, matched by the process's service name.
 */
export function utilityEngineSpawner(entry: string): EngineSpawner {
  let seq = 0;
  return (): EngineChannel => {
    const serviceName = `reckon-engine-${++seq}`;
    const child: UtilityProcess = utilityProcess.fork(entry, [], {
      serviceName,
      env: cleanEngineEnv(),
      stdio: 'pipe',
    });
    // What stderr holds since the engine last answered is this failure's reason, not earlier work's.
    const failures = new FailureLog();
    child.stderr?.on('data', (d: Buffer) => {
      failures.write(d.toString('utf8'));
      if (process.env['RECKON_ENGINE_LOG'] === '1') process.stderr.write(d);
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (process.env['RECKON_ENGINE_LOG'] === '1') process.stderr.write(d);
    });
    let goneReason: string | undefined;
    const onGone = (_e: unknown, details: { type: string; reason: string; serviceName?: string }) => {
      if (details.type === 'Utility' && details.serviceName === serviceName) goneReason = details.reason;
    };
    app.on('child-process-gone', onGone);
    return {
      get pid() {
        return child.pid ?? null;
      },
      send: (msg) => child.postMessage(msg),
      onMessage: (cb) => child.on('message', (m: unknown) => {
        const msg = m as EngineToHost;
        if (msg.kind === 'result' || msg.kind === 'error') failures.mark();
        cb(msg);
      }),
      onExit: (cb) =>
        child.once('exit', (code: number) => {
          app.removeListener('child-process-gone', onGone);
          // Electron's kind of exit ('crashed', 'oom') and the assertion text, when there are both.
          const reason = [goneReason, failures.reason()].filter((x) => x !== undefined).join(': ') || undefined;
          cb(reason === undefined ? { code, signal: null } : { code, signal: null, reason });
        }),
      kill: () => {
        child.kill();
      },
    };
  };
}
