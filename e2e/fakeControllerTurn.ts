/**
 * Scripted controller turns for the fake host (fakeHost.ts): slow enough to see the thinking budget bar fill and
 * early exit fire, and PDR drafts stream round by round (the real model does both in well under a second).
 * - a question containing "early exit": strategy early-exit, budget 48, trials from 24, fires at 30.
 * - a question containing "drafts": PDR rounds [3, 1], budget 40 per draft, a workspace, a winner.
 */
import type { TurnEvent } from '../src-main/common/events';
import { makeLedger } from '../src-main/common/ledger';
import type { DifficultyInfo, DraftRecord, Plan } from '../src-main/common/controller/types';
import type { Message } from '../src-main/common/types';

export function isControllerScript(text: string): boolean {
  return /early exit|drafts/i.test(text);
}

const difficulty: DifficultyInfo = { difficulty: 'normal', probabilities: { easy: 0.2, normal: 0.7, hard: 0.1 }, expectedThinkingTokens: 48, source: 'probe', probeTokens: 25 };

function plan(p: Partial<Plan>): Plan {
  return {
    requested: 'auto', strategy: 'early-exit', difficulty: 'normal', effort: 'auto', expectedThinkingTokens: 48, thinkingBudget: 48,
    systemPrompt: '', temperature: 0, earlyExitThreshold: 0.9, trialTokens: 48, earlyExitStart: 24, sampling: null, rounds: null, kappa: null, ...p,
  };
}

/** The steps of one scripted turn: [delay after the previous step, ms; action]. */
export function controllerSteps(turnId: string, text: string, assistant: Message, emit: (e: TurnEvent) => void): [number, () => void][] {
  const steps: [number, () => void][] = [];
  const at = (ms: number, f: () => void) => steps.push([ms, f]);
  const thought = (t: string) => {
    assistant.thinking = (assistant.thinking ?? '') + t;
    emit({ type: 'thought', turnId, text: t });
  };
  const finish = (answer: string, m: Partial<Message>, thinking: number) => {
    at(60, () => {
      assistant.text = answer;
      emit({ type: 'answer', turnId, text: answer });
    });
    at(60, () => {
      Object.assign(assistant, m, { status: 'done', thinkingMs: 2400, ledger: makeLedger({ visible: 9, thinking, prompt: 25, cached: 0, overhead: m.ledger?.overhead ?? { probe: 25 } }) });
      emit({ type: 'ledger', turnId, ledger: assistant.ledger! });
      emit({ type: 'done', turnId, status: 'done', message: { ...assistant } });
    });
  };
  at(0, () => emit({ type: 'difficulty', turnId, difficulty }));

  if (/early exit/i.test(text)) {
    const p = plan({});
    at(40, () => emit({ type: 'plan', turnId, plan: p }));
    // one delta per token (the bundled model's vocabulary is characters), newlines glued to the next token
    const trace = 'ones: 7+8=15, write 5 carry 1\ntens: 3+4+1=8\n';
    let pending = '';
    for (const ch of trace.slice(0, 31)) {
      if (ch === '\n' || ch === ' ') {
        pending += ch;
        continue;
      }
      const d = pending + ch;
      pending = '';
      at(110, () => thought(d));
    }
    const ee = { trials: 2, fired: true, atThinkingTokens: 30, confidence: 0.96 };
    at(400, () => {
      assistant.earlyExit = ee;
      emit({ type: 'early-exit', turnId, ...ee });
      emit({ type: 'thought-end', turnId, ms: 2400, tokens: 32 });
    });
    finish('37 + 48 = **85**', { plan: p, difficulty, earlyExit: ee }, 32);
    return steps;
  }

  // PDR [3, 1]
  const p = plan({ requested: 'pdr', strategy: 'pdr', thinkingBudget: 40, earlyExitThreshold: null, temperature: 0.7, rounds: [3, 1], kappa: 64 });
  at(40, () => emit({ type: 'plan', turnId, plan: p }));
  const lines = ['ones 7+8=15', 'ones 7+8=15', 'ones 7+9=16'];
  for (let k = 0; k < lines[0]!.length; k++) {
    for (let i = 0; i < 3; i++) {
      const ch = lines[i]![k]!;
      at(i === 0 ? 90 : 0, () => emit({ type: 'draft', turnId, round: 0, index: i, part: 'thought', text: ch }));
    }
  }
  const answers = ['37+48=85', '37+48=85', '37+48=86'];
  const conf = [0.97, 0.93, 0.61];
  for (let i = 0; i < 3; i++) at(120, () => emit({ type: 'draft', turnId, round: 0, index: i, part: 'answer', text: answers[i]! }));
  for (let i = 0; i < 3; i++) {
    at(i === 0 ? 600 : 0, () => emit({ type: 'draft-end', turnId, round: 0, index: i, answer: answers[i]!.split('=')[1]!, tokens: 24 + i, finished: true, confidence: conf[i]! }));
  }
  at(200, () => emit({ type: 'workspace', turnId, round: 0, text: 'Candidate answers from earlier drafts: 85, 85, 86', tokens: 49 }));
  for (const ch of 'ones 7+8=15, tens 8') at(80, () => emit({ type: 'draft', turnId, round: 1, index: 0, part: 'thought', text: ch }));
  at(100, () => emit({ type: 'draft', turnId, round: 1, index: 0, part: 'answer', text: '37 + 48 = 85' }));
  at(600, () => emit({ type: 'draft-end', turnId, round: 1, index: 0, answer: '85', tokens: 31, finished: true, confidence: 0.99 }));
  at(60, () => {
    thought('ones 7+8=15, tens 8');
    emit({ type: 'thought-end', turnId, ms: 900, tokens: 21 });
  });
  const drafts: DraftRecord[] = [
    ...answers.map((a, i) => ({ round: 0, index: i, answer: a.split('=')[1]!, text: a, tokens: 24 + i, finished: true, confidence: conf[i]!, winner: false })),
    { round: 1, index: 0, answer: '85', text: '37 + 48 = 85', tokens: 31, finished: true, confidence: 0.99, winner: true },
  ];
  finish('37 + 48 = **85**', { plan: p, difficulty, drafts, ledger: makeLedger({ visible: 9, thinking: 21, prompt: 25, cached: 0, overhead: { probe: 25, draft: 160, distill: 49 } }) }, 21);
  return steps;
}
