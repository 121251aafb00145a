/**
 * Typed stream events for one turn: deltas, never snapshots. One union serves both hops: the engine emits
 * every event but `start`, `done` and `error` (EngineTurnEvent, turnId = the generate request's id), the host
 * forwards them unchanged and adds those three, which carry what it owns (the stored messages). The host also
 * sends `download` (a model download's progress, turnId '') on the same stream: it belongs to no turn.
 */
import type { DownloadInfo } from './downloads';
import type { ErrorPayload } from './errors';
import type { Ledger } from './ledger';
import type { Message } from './types';
import type { ControllerTurnEvent } from './controller/events';

export type TurnEvent =
  /** The turn started: the host persisted the user message and created the assistant message. */
  | { type: 'start'; turnId: string; conversationId: string; userMessage: Message; assistantMessageId: string; modelId: string }
  /** Model load progress (0..1) when the turn had to load a model first; turnId '' for a plain models.load. */
  | { type: 'load-progress'; turnId: string; progress: number }
  /** A piece of hidden reasoning. */
  | { type: 'thought'; turnId: string; text: string }
  /** A piece of the visible answer. */
  | { type: 'answer'; turnId: string; text: string }
  /** The user's "Answer now" closed the thought after this many thinking content tokens (thought-end follows). */
  | { type: 'answer-now'; turnId: string; atThinkingTokens: number }
  /** Thinking ended (closed by the model or by a budget). */
  | { type: 'thought-end'; turnId: string; ms: number; tokens: number }
  /** The turn's ledger (the engine sends it when generation ends). */
  | { type: 'ledger'; turnId: string; ledger: Ledger }
  /** The turn finished: status says how; `message` is the stored, authoritative assistant message. */
  | { type: 'done'; turnId: string; status: 'done' | 'stopped'; message: Message }
  | { type: 'error'; turnId: string; error: ErrorPayload; message?: Message }
  /**
   * Not a turn's: a model download changed (state, or progress at most a few times a second). turnId is always ''
   * (like the load-progress of a plain models.load); the host emits it, never the engine.
   */
  | { type: 'download'; turnId: ''; download: DownloadInfo }
  /**
   * Not a turn's: stored state changed through the API (in any window, this one included). Every connected
   * client re-reads what it names, so a rename, delete or settings change in one tab shows in the others at once.
   */
  | { type: 'changed'; turnId: ''; change: StoredChange }
  /** Controller events: difficulty, plan, draft / draft-end, workspace, early-exit (common/controller/events.ts). */
  | ControllerTurnEvent;

/** What a `changed` event names: a conversation (how it changed), the settings, or the model list. */
export type StoredChange =
  | { what: 'conversation'; id: string; how: 'created' | 'renamed' | 'pinned' | 'deleted' | 'messages' | 'system-prompt' }
  | { what: 'settings' }
  | { what: 'models' };

export type TurnEventType = TurnEvent['type'];

/** The host's own events: it alone knows the stored messages (and the downloads). */
export type HostTurnEventType = 'start' | 'done' | 'error' | 'download' | 'changed';

/** What the engine emits during a generate request. */
export type EngineTurnEvent = Exclude<TurnEvent, { type: HostTurnEventType }>;
