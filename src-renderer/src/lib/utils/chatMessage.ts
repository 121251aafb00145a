import type { ErrorPayload } from '$common/errors';
import type { TurnEvent } from '$common/events';
import type { Ledger } from '$common/ledger';
import type { DifficultyInfo, EarlyExitRecord, Plan } from '$common/controller/types';
import type { AuditSummary } from '$common/receiptApi';
import type { Message } from '$common/types';
import { applyDraftEvent, gridFromPlan, gridFromRecords, isParallelPlan, mergeDraftRecords, settleGrid, type DraftsGrid } from './draftsGrid';
import { thoughtDeltaTokens } from './thinkingBudget';

/** A message as the chat view shows it, built from a stored Message and then grown by TurnEvent deltas. */
export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  thinking: string;
  thinkingMs?: number;
  thinkingTokens?: number;
  /** waiting: nothing streamed yet; thinking: thought deltas arriving; answering: answer deltas; final: settled. */
  phase: 'waiting' | 'thinking' | 'answering' | 'final';
  status: NonNullable<Message['status']>;
  error?: ErrorPayload;
  ledger?: Ledger;
  modelId?: string;
  createdAt: string;
  turnId?: string;
  /** Client clock when the first thought arrived (for the live timer). */
  thinkingStartedAt?: number;
  /** 0..1 while a model loads for this turn. */
  loadProgress?: number;
  /** Controller: the probe's verdict, the plan, early exit (absent on turns without the controller). */
  difficulty?: DifficultyInfo;
  plan?: Plan;
  earlyExit?: EarlyExitRecord;
  /** Parallel drafts seen (short-m@k, PDR). */
  drafts?: number;
  /** The drafts view (rounds x drafts), live from draft events, rebuilt from Message.drafts after a reload. */
  draftsGrid?: DraftsGrid;
  /** Thinking tokens estimated from the thought deltas so far (the budget bar while live). */
  liveThinkingTokens?: number;
  /** Hidden-token receipt: its Merkle tree size and root, and the last audit. */
  receipt?: { treeSize: number; root: string };
  receiptError?: string;
  audit?: AuditSummary;
}

export function fromMessage(m: Message): ChatMessage {
  return {
    id: m.id,
    role: m.role,
    text: m.text,
    thinking: m.thinking ?? '',
    thinkingMs: m.thinkingMs,
    thinkingTokens: m.ledger?.thinking,
    phase: m.status === 'streaming' ? (m.text ? 'answering' : m.thinking ? 'thinking' : 'waiting') : 'final',
    status: m.status ?? 'done',
    error: m.error,
    ledger: m.ledger,
    modelId: m.modelId,
    createdAt: m.createdAt,
    ...controllerFields(m),
  };
}

function controllerFields(m: Message): Partial<ChatMessage> {
  const out: Partial<ChatMessage> = {};
  if (m.difficulty) out.difficulty = m.difficulty;
  if (m.plan) out.plan = m.plan;
  if (m.earlyExit) out.earlyExit = m.earlyExit;
  if (m.drafts?.length) {
    out.drafts = m.drafts.length;
    out.draftsGrid = gridFromRecords(m.drafts, m.plan, m.workspaces);
  }
  if (m.receipt) out.receipt = { treeSize: m.receipt.treeSize, root: m.receipt.root };
  if (m.receiptError) out.receiptError = m.receiptError;
  if (m.audit) out.audit = m.audit;
  return out;
}

export function pendingUserMessage(text: string, now = new Date()): ChatMessage {
  return { id: 'pending-' + now.getTime(), role: 'user', text, thinking: '', phase: 'final', status: 'done', createdAt: now.toISOString() };
}

function settle(target: ChatMessage, m: Message | undefined): void {
  if (!m) return;
  target.text = m.text;
  if (m.thinking !== undefined) target.thinking = m.thinking;
  if (m.thinkingMs !== undefined) target.thinkingMs = m.thinkingMs;
  if (m.ledger) {
    target.ledger = m.ledger;
    target.thinkingTokens = m.ledger.thinking;
  }
  if (m.modelId) target.modelId = m.modelId;
  if (m.error) target.error = m.error;
  // Keep the live drafts view (its thinking text and exact workspaces): merge the stored records into it.
  const grid = target.draftsGrid;
  Object.assign(target, controllerFields(m));
  if (grid && m.drafts?.length) target.draftsGrid = mergeDraftRecords(grid, m.drafts);
}

function draftsOf(msg: ChatMessage): DraftsGrid {
  msg.draftsGrid ??= isParallelPlan(msg.plan) ? gridFromPlan(msg.plan) : { strategy: 'short-m@k', rounds: [], budget: null, m: null, winner: null };
  // read back through the message: with a $state proxy, the stored object is the reactive one
  return msg.draftsGrid;
}

/**
 * Applies one turn event to the messages of the conversation it belongs to, in place (the array may be a
 * $state proxy). Returns false when the event is not for these messages.
 */
export function applyTurnEvent(messages: ChatMessage[], e: TurnEvent, now: number = Date.now()): boolean {
  if (e.type === 'start') {
    if (messages.some((m) => m.id === e.assistantMessageId)) return true;
    const user = fromMessage(e.userMessage);
    const pending = messages.findIndex((m) => m.id.startsWith('pending-') && m.role === 'user');
    if (pending >= 0) messages[pending] = user;
    else if (!messages.some((m) => m.id === user.id)) messages.push(user);
    messages.push({
      id: e.assistantMessageId,
      role: 'assistant',
      text: '',
      thinking: '',
      phase: 'waiting',
      status: 'streaming',
      modelId: e.modelId,
      createdAt: new Date(now).toISOString(),
      turnId: e.turnId,
    });
    return true;
  }
  const msg = messages.find((m) => m.turnId === e.turnId);
  if (!msg) return false;
  switch (e.type) {
    case 'load-progress':
      msg.loadProgress = e.progress;
      break;
    case 'thought':
      if (msg.phase === 'waiting') {
        msg.phase = 'thinking';
        msg.thinkingStartedAt = now;
      }
      msg.loadProgress = undefined;
      msg.liveThinkingTokens = (msg.liveThinkingTokens ?? 0) + thoughtDeltaTokens(e.text, msg.thinking === '');
      msg.thinking += e.text;
      break;
    case 'thought-end':
      msg.thinkingMs = e.ms;
      msg.thinkingTokens = e.tokens;
      if (msg.phase === 'thinking' || msg.phase === 'waiting') msg.phase = 'answering';
      break;
    case 'answer':
      if (msg.phase !== 'answering') {
        if (msg.phase === 'thinking' && msg.thinkingMs === undefined && msg.thinkingStartedAt !== undefined) {
          msg.thinkingMs = now - msg.thinkingStartedAt;
        }
        msg.phase = 'answering';
      }
      msg.loadProgress = undefined;
      msg.text += e.text;
      break;
    case 'ledger':
      msg.ledger = e.ledger;
      msg.thinkingTokens = e.ledger.thinking;
      break;
    case 'difficulty':
      msg.difficulty = e.difficulty;
      break;
    case 'plan':
      msg.plan = e.plan;
      if (isParallelPlan(e.plan) && !msg.draftsGrid) msg.draftsGrid = gridFromPlan(e.plan);
      break;
    case 'draft-end':
      msg.drafts = (msg.drafts ?? 0) + 1;
      applyDraftEvent(draftsOf(msg), e);
      break;
    case 'draft':
    case 'workspace':
      applyDraftEvent(draftsOf(msg), e);
      break;
    case 'early-exit':
      msg.earlyExit = { trials: e.trials, fired: e.fired, atThinkingTokens: e.atThinkingTokens, confidence: e.confidence };
      break;
    case 'done':
      settle(msg, e.message);
      if (msg.draftsGrid) settleGrid(msg.draftsGrid);
      msg.status = e.status;
      msg.phase = 'final';
      msg.loadProgress = undefined;
      break;
    case 'error':
      settle(msg, e.message);
      if (msg.draftsGrid) settleGrid(msg.draftsGrid);
      msg.status = e.error.code === 'TURN_ABORTED' ? 'stopped' : 'error';
      if (msg.status === 'error') msg.error = e.error;
      msg.phase = 'final';
      msg.loadProgress = undefined;
      break;
  }
  return true;
}
