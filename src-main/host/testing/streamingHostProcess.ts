/**
 * A host process for kill tests (host/streamKill.test.ts, the host-kill campaign): the real host (createHost) on
 * the data folder in argv[2], in front of the scripted fake engine. Driven over the IPC channel of its fork:
 *   in  {send: SendParams}             starts a turn; answered with {started: {turnId, conversationId}}
 *   in  {open: gate}                   opens a gate of the engine's script
 *   out {ready: true}                  once the host is open
 *   out {reached: gate, streamed: T}   the script arrived at a gate; T = the text streamed so far (thinking + answer)
 * The script of every generate: `thoughts` thinking pieces, the thinking's end, then `answers` answer pieces, each
 * piece followed by gate `p<N>` (N counts from 1) - so the test decides when each piece streams - and at the end
 * gate `end`, which a kill test never opens. Pieces: `t<N> ` for thinking, `a<N> ` for the answer.
 * With a fifth argument `stepMs` (`-` for none) the process opens each piece's gate itself, `stepMs` after the host
 * received the piece (a free-running stream for the host-kill campaign), and reports every piece, once the host has
 * it, as {piece: T, at: ms since the epoch}. With a sixth argument `lineEvery` every lineEvery-th piece (counting
 * all pieces) ends a line: `t<N>\n` / `a<N>\n`.
 */
import type { SendParams } from '../../common/api';
import type { GenerateResult } from '../../common/engineProtocol';
import { makeLedger } from '../../common/ledger';
import { createHost } from '../index';
import { fakeEngine, type ScriptIO } from './fakeEngine';

const [dataDir, modelsDir, thoughtsArg, answersArg, stepArg, lineArg] = process.argv.slice(2);
if (dataDir === undefined || modelsDir === undefined) throw new Error('usage: streamingHostProcess <dataDir> <modelsDir> [thoughts] [answers]');
const thoughts = Number(thoughtsArg ?? 3);
const answers = Number(answersArg ?? 5);
const stepMs = stepArg === undefined || stepArg === '-' ? null : Number(stepArg);
const lineEvery = lineArg === undefined ? 0 : Number(lineArg);
const end = (n: number): string => (lineEvery > 0 && n % lineEvery === 0 ? '\n' : ' ');
const send = (m: unknown): void => { process.send?.(m); };

const engine = fakeEngine();
engine.script.generate = async (_params: unknown, io: ScriptIO): Promise<GenerateResult> => {
  let thinking = '';
  let answer = '';
  let n = 0;
  const gate = async (name: string): Promise<void> => {
    const streamed = thinking + answer;
    // reached: the events before the gate have been delivered to the host
    void engine.gates.reached(name).then(() => {
      send({ reached: name, streamed });
      if (stepMs !== null && name !== 'end') {
        send({ piece: streamed, at: Date.now() });
        setTimeout(() => engine.gates.open(name), stepMs);
      }
    });
    await io.gate(name);
  };
  for (let i = 1; i <= thoughts; i++) {
    const t = `t${i}${end(n + 1)}`;
    thinking += t;
    io.emit({ type: 'thought', text: t });
    await gate(`p${++n}`);
  }
  io.emit({ type: 'thought-end', ms: 1, tokens: thoughts });
  for (let i = 1; i <= answers; i++) {
    const a = `a${i}${end(n + 1)}`;
    answer += a;
    io.emit({ type: 'answer', text: a });
    await gate(`p${++n}`);
  }
  await gate('end');
  return { answer, thinking, thinkingMs: 1, stopReason: 'eos', ledger: makeLedger({ visible: answers, thinking: thoughts, prompt: 1, cached: 0 }), hidden: [] };
};

const host = await createHost({ userDataDir: dataDir, modelsDir, shell: 'cli', spawnEngine: engine.spawner });
process.on('message', (m: { send?: SendParams; open?: string }) => {
  if (m.open !== undefined) engine.gates.open(m.open);
  if (m.send !== undefined) {
    host.call('chat.send', m.send).then((started) => send({ started }), (err: unknown) => send({ error: String(err) }));
  }
});
send({ ready: true });
