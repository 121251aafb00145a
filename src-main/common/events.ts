/** Typed stream events for one turn: deltas, never snapshots. */
import type { ErrorPayload } from './errors';
import type { Ledger } from './ledger';
import type { Message } from './types';
import type { ControllerTurnEvent } from './controller/events';

export type TurnEvent =
  /** The turn started: the host persisted the user message and created the assistant message. */
  | { type: 'start'; turnId: string; conversationId: string; userMessage: Message; assistantMessageId: string; modelId: string }
  /** Model load progress (0..1) when the turn had to load a model first. */
  | { type: 'load-progress'; turnId: string; progress: number }
  /** A piece of hidden reasoning. */
  | { type: 'thought'; turnId: string; text: string }
  /** A piece of the visible answer. */
  | { type: 'answer'; turnId: string; text: string }
  /** Thinking ended (closed by the model or by a budget). */
  | { type: 'thought-end'; turnId: string; ms: number; tokens: number }
  /** The ledger so far (sent at the end; may be sent while streaming too). */
  | { type: 'ledger'; turnId: string; ledger: Ledger }
  /** The turn finished: status says how. */
  | { type: 'done'; turnId: string; status: 'done' | 'stopped'; message: Message }
  | { type: 'error'; turnId: string; error: ErrorPayload; message?: Message }
  /** Controller events: difficulty, plan, draft / draft-end, workspace, early-exit (common/controller/events.ts). */
  | ControllerTurnEvent;

export type TurnEventType = TurnEvent['type'];
