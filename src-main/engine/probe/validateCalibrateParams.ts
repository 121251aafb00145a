import type { CalibrateParams } from '../../common/engineProtocol';
import type { CalibrationQuestion } from '../../common/probe/types';

const kinds = ['number', 'word', 'list', 'text'];

function isQuestion(q: unknown): q is CalibrationQuestion {
  const o = q as Partial<CalibrationQuestion> | null;
  return typeof o === 'object' && o !== null && typeof o.id === 'string' && typeof o.question === 'string' && o.question !== ''
    && (o.answer === null || typeof o.answer === 'string') && typeof o.tier === 'string'
    && (o.kind === undefined || kinds.includes(o.kind));
}

/** Validates the engine's calibrate params; `bad(why)` builds the BAD_REQUEST error. */
export function validateCalibrateParams(o: Record<string, unknown>, bad: (why: string) => Error): CalibrateParams {
  for (const k of ['requestId', 'modelPath', 'modelSha256', 'modelName']) {
    if (typeof o[k] !== 'string' || o[k] === '') throw bad(`${k} must be a non-empty string`);
  }
  const int = (k: string, lo: number, hi: number): void => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw bad(`${k} must be an integer in ${lo}..${hi}`);
  };
  int('perQuestion', 1, 64);
  int('maxTokens', 1, 32768);
  int('seed', 0, 2 ** 31 - 1);
  if (typeof o.temperature !== 'number' || !(o.temperature > 0) || o.temperature > 5) throw bad('temperature must be in (0, 5]');
  if (typeof o.heldOutShare !== 'number' || !(o.heldOutShare >= 0 && o.heldOutShare <= 0.9)) throw bad('heldOutShare must be in 0..0.9');
  if (typeof o.labelFree !== 'boolean') throw bad('labelFree must be a boolean');
  if (!Array.isArray(o.questions) || o.questions.length < 2 || !o.questions.every(isQuestion)) {
    throw bad('questions must be a list of at least 2 {id, question, answer, tier}');
  }
  return o as unknown as CalibrateParams;
}
