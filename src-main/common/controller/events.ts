/**
 * Stream events of the controller, part of TurnEvent (common/events.ts). The engine emits them and the host
 * forwards them as they are; `turnId` is the generate request's id on both hops.
 */
import type { DifficultyInfo, EarlyExitRecord, Plan } from './types';

type ControllerEventBody =
  /** The probe's verdict (or the fallback's) for the question. */
  | { type: 'difficulty'; difficulty: DifficultyInfo }
  /** The plan the turn runs under (strategy, budget, threshold, drafts). */
  | { type: 'plan'; plan: Plan }
  /** A delta of one parallel draft's text (round r, draft i). */
  | { type: 'draft'; round: number; index: number; part: 'thought' | 'answer'; text: string }
  /** A draft ended: its answer key, tokens, whether it finished on its own, its answer confidence. */
  | { type: 'draft-end'; round: number; index: number; answer: string; tokens: number; finished: boolean; confidence: number }
  /** PDR: the distilled workspace after round r (what round r+1 is conditioned on). */
  | { type: 'workspace'; round: number; text: string; tokens: number }
  /** Early exit committed a trial answer: thinking stopped here. */
  | ({ type: 'early-exit' } & EarlyExitRecord);

export type ControllerTurnEvent = ControllerEventBody & { turnId: string };
