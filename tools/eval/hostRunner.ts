import type { SendParams } from '../../src-main/common/api';
import type { TurnEvent } from '../../src-main/common/events';
import type { Message } from '../../src-main/common/types';
import type { Host } from '../../src-main/host/types';
import type { TurnRunner } from './runEval';

/** A TurnRunner over a host: one chat.send per question (a new conversation each), resolved at its done event. */
export function hostRunner(host: Host, base: Pick<SendParams, 'modelId' | 'modelPath' | 'maxTokens'>): TurnRunner {
  return async (q, c, seed) => {
    const started = Date.now();
    let turnId: string | null = null;
    const early: TurnEvent[] = [];
    let finish!: (m: Message) => void;
    let fail!: (e: Error) => void;
    const ended = new Promise<Message>((res, rej) => { finish = res; fail = rej; });
    const handle = (e: TurnEvent): void => {
      if (e.type === 'done') finish(e.message);
      else if (e.type === 'error') fail(new Error(`${e.error.code}: ${e.error.message}`));
    };
    const off = host.onTurnEvent((e) => {
      if (turnId === null) early.push(e);
      else if (e.turnId === turnId) handle(e);
    });
    try {
      const r = await host.call('chat.send', { ...base, text: q.question, strategy: c.strategy, effort: c.effort, seed });
      turnId = r.turnId;
      for (const e of early.splice(0)) if (e.turnId === turnId) handle(e);
      const m = await ended;
      if (m.ledger === undefined) throw new Error('the turn ended without a ledger');
      return {
        answer: m.text, ledger: m.ledger, latencyTokens: m.latencyTokens ?? m.ledger.sequential, ms: Date.now() - started,
        ...(m.difficulty !== undefined ? { difficulty: m.difficulty } : {}), earlyExitFired: m.earlyExit?.fired === true,
        effortLevel: m.plan?.effortLevel ?? null,
        ...(m.reliability !== undefined ? { reliability: m.reliability.level, reasons: m.reliability.reasons } : {}),
        thinkingText: m.thinking ?? '',
      };
    } finally {
      off();
    }
  };
}
