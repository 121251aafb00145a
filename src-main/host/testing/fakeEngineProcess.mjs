/* global process, setInterval, clearInterval */
// A stand-in engine *process* for unit tests of the fork spawner: speaks the engine protocol over process.send.
// generate streams 'answer' pieces slowly so a test can kill the process mid-way.
const send = (m) => process.send?.(m);
const backend = { requested: 'cpu', active: 'cpu', buildType: 'prebuilt', deviceNames: [], vram: null, threads: 1, threadsSource: 'settings', cpuCores: 2 };
process.on('message', (msg) => {
  if (msg?.kind !== 'call') return;
  const { id, method, params } = msg;
  switch (method) {
    case 'init': send({ kind: 'result', id, result: backend }); break;
    case 'info': send({ kind: 'result', id, result: { env: Object.keys(process.env), backend } }); break;
    // A call that fails the way a bad load does: llama.cpp's error lines on stderr, then an error reply.
    case 'failLoudly':
      process.stderr.write('llama_model_load: error loading model: bad tensor\n', () => {
        send({ kind: 'error', id, error: { code: 'MODEL_LOAD_FAILED', message: 'could not load' } });
      });
      break;
    // A native abort with its assertion text, as llama.cpp writes it just before it dies.
    case 'crash':
      process.stderr.write('fake.c:12: GGML_ASSERT(n_head > 0) failed\nbacktrace frame 1\n', () => process.abort());
      break;
    case 'generate': {
      let n = 0;
      const t = setInterval(() => {
        send({ kind: 'event', event: { type: 'answer', turnId: params.requestId, text: `w${n} ` } });
        if (++n === 1000) clearInterval(t);
      }, 20);
      break;
    }
    default: send({ kind: 'error', id, error: { code: 'BAD_REQUEST', message: `unknown method ${method}` } });
  }
});
process.stdout.write('engine stdout noise\n');
process.stderr.write('engine stderr noise\n');
send({ kind: 'ready', pid: process.pid });
