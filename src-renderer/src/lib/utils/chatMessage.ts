import type { ErrorPayload } from '$common/errors';
import type { TurnEvent } from '$common/events';
import { applyTurnEvent, startedAssistantMessage } from '$common/turn/applyTurnEvent';
import type { Ledger } from '$common/ledger';
import type { DifficultyInfo, EarlyExitRecord, Plan } from '$common/controller/types';
import type { Reliability } from '$common/controller/reliability';
import type { AuditSummary } from '$common/receiptApi';
import type { Message, TurnTimings } from '$common/types';
import { applyDraftEvent, gridFromPlan, gridFromRecords, isParallelPlan, mergeDraftRecords, settleGrid, type DraftsGrid } from './draftsGrid';
import { thoughtDeltaTokens } from './thinkingBudget';

/**
 * A message as the chat view shows it: its stored fields come from `record`, the Message the shared reducer
 * (common/turn/applyTurnEvent) builds from TurnEvent deltas; the rest is live view state.
 */
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
  /** Controlled turns: reliable or unsure, and why (set when the turn settles). */
  reliability?: Reliability;
  /** Speed of the finished turn (the engine's clock). */
  timings?: TurnTimings;
  /** The context the finished turn ran in (Message.context). */
  context?: { size: number; clampedFrom?: number };
  /** Client clock: when the turn started and when its first token arrived (the live speed). */
  liveStartedAt?: number;
  liveFirstTokenAt?: number;
  /** Tokens estimated from every delta so far (thinking, answer, drafts): the live tokens/s. */
  liveTokens?: number;
  /** The user's "Answer now" closed the thinking here. */
  answeredNow?: { atThinkingTokens: number };
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
  /** The message as stored (assistant and user messages from the host; absent on local placeholders). */
  record?: Message;
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
    record: m,
    ...controllerFields(m),
  };
}

function controllerFields(m: Message): Partial<ChatMessage> {
  const out: Partial<ChatMessage> = {};
  if (m.difficulty) out.difficulty = m.difficulty;
  if (m.plan) out.plan = m.plan;
  if (m.earlyExit) out.earlyExit = m.earlyExit;
  if (m.reliability) out.reliability = m.reliability;
  if (m.answeredNow) out.answeredNow = m.answeredNow;
  if (m.timings) out.timings = m.timings;
  if (m.context) out.context = m.context;
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

function draftsOf(msg: ChatMessage): DraftsGrid {
  msg.draftsGrid ??= isParallelPlan(msg.plan) ? gridFromPlan(msg.plan) : { strategy: 'short-m@k', rounds: [], budget: null, m: null, winner: null };
  // read back through the message: with a $state proxy, the stored object is the reactive one
  return msg.draftsGrid;
}

/** The record of a view that has none (a message built before records were kept). */
function recordOf(v: ChatMessage): Message {
  return v.record ?? { id: v.id, role: v.role, text: v.text, thinking: v.thinking, createdAt: v.createdAt, status: v.status, ...(v.modelId ? { modelId: v.modelId } : {}) };
}

/** Shows what the reducer made of the message: every stored field of the view comes from the record. */
function showRecord(v: ChatMessage, m: Message, settled: boolean): void {
  v.record = m;
  v.text = m.text;
  v.thinking = m.thinking ?? '';
  // Kept when the record has none: the client's own measure (no thought-end arrived).
  if (m.thinkingMs !== undefined) v.thinkingMs = m.thinkingMs;
  if (m.ledger) {
    v.ledger = m.ledger;
    v.thinkingTokens = m.ledger.thinking;
  }
  if (m.modelId) v.modelId = m.modelId;
  if (m.error) v.error = m.error;
  v.status = m.status ?? 'done';
  if (!settled) {
    if (m.difficulty) v.difficulty = m.difficulty;
    if (m.plan) v.plan = m.plan;
    if (m.earlyExit) v.earlyExit = m.earlyExit;
    if (m.answeredNow) v.answeredNow = m.answeredNow;
    return;
  }
  // Keep the live drafts view (its thinking text and exact workspaces): merge the stored records into it.
  const grid = v.draftsGrid;
  Object.assign(v, controllerFields(m));
  if (grid && m.drafts?.length) v.draftsGrid = mergeDraftRecords(grid, m.drafts);
}

/** Tokens a run of deltas stands for, each delta counted as it arrived (`first`: the run opens the stream). */
function deltaTokens(pieces: readonly string[], first: boolean): number {
  let n = 0;
  pieces.forEach((p, i) => (n += thoughtDeltaTokens(p, first && i === 0)));
  return n;
}

/**
 * What only the live view tracks, never stored: the phase, the client clocks, load progress, the live thinking
 * token estimate and the drafts grid. Runs before the record is shown (it reads the text seen so far).
 */
function trackLive(v: ChatMessage, e: TurnEvent, now: number, pieces?: readonly string[]): void {
  if ((e.type === 'thought' || e.type === 'answer' || e.type === 'draft') && e.text !== '') {
    v.liveFirstTokenAt ??= now;
    v.liveTokens = (v.liveTokens ?? 0) + deltaTokens(pieces ?? [e.text], v.liveTokens === undefined);
  }
  switch (e.type) {
    case 'load-progress':
      v.loadProgress = e.progress;
      break;
    case 'thought':
      if (v.phase === 'waiting') {
        v.phase = 'thinking';
        v.thinkingStartedAt = now;
      }
      v.loadProgress = undefined;
      v.liveThinkingTokens = (v.liveThinkingTokens ?? 0) + deltaTokens(pieces ?? [e.text], v.thinking === '');
      break;
    case 'thought-end':
      v.thinkingTokens = e.tokens;
      if (v.phase === 'thinking' || v.phase === 'waiting') v.phase = 'answering';
      break;
    case 'answer':
      if (v.phase !== 'answering') {
        if (v.phase === 'thinking' && v.thinkingMs === undefined && v.thinkingStartedAt !== undefined) {
          v.thinkingMs = now - v.thinkingStartedAt;
        }
        v.phase = 'answering';
      }
      v.loadProgress = undefined;
      break;
    case 'plan':
      if (isParallelPlan(e.plan) && !v.draftsGrid) v.draftsGrid = gridFromPlan(e.plan);
      break;
    case 'draft-end':
      v.drafts = (v.drafts ?? 0) + 1;
      applyDraftEvent(draftsOf(v), e);
      break;
    case 'draft':
    case 'workspace':
      applyDraftEvent(draftsOf(v), e);
      break;
    case 'done':
    case 'error':
      v.phase = 'final';
      v.loadProgress = undefined;
      break;
    default:
      break;
  }
}

/**
 * Applies one turn event to the messages of the conversation it belongs to, in place (the array may be a
 * $state proxy): the message itself through the shared reducer (common/turn/applyTurnEvent, as the host
 * does), plus the live view state. Returns false when the event is not for these messages.
 */
export function applyChatEvent(messages: ChatMessage[], e: TurnEvent, now: number = Date.now(), pieces?: readonly string[]): boolean {
  if (e.type === 'start') {
    if (messages.some((m) => m.id === e.assistantMessageId)) return true;
    const user = fromMessage(e.userMessage);
    const pending = messages.findIndex((m) => m.id.startsWith('pending-') && m.role === 'user');
    if (pending >= 0) messages[pending] = user;
    else if (!messages.some((m) => m.id === user.id)) messages.push(user);
    messages.push({ ...fromMessage(startedAssistantMessage(e, new Date(now).toISOString())), turnId: e.turnId, liveStartedAt: now });
    return true;
  }
  const msg = messages.find((m) => m.turnId === e.turnId);
  if (!msg) return false;
  const before = recordOf(msg);
  const record = applyTurnEvent(before, e);
  trackLive(msg, e, now, pieces);
  const settled = e.type === 'done' || e.type === 'error';
  if (record !== before || settled) showRecord(msg, record, settled);
  if (settled && msg.draftsGrid) settleGrid(msg.draftsGrid);
  return true;
}

/**
 * Applies a frame's worth of events in order. A run of `thought` (or `answer`) deltas of one turn goes through
 * the reducer as one delta of their joined text: one copy of the record (and one write into the view's reactive
 * state) per run instead of per token, which at 2,000 tokens/s is most of the frame. The result is the same as
 * applying them one by one, live token estimates included (each delta is still counted as it arrived).
 */
export function applyChatEvents(messages: ChatMessage[], events: readonly TurnEvent[], now: number = Date.now()): void {
  let i = 0;
  while (i < events.length) {
    const e = events[i]!;
    if (e.type !== 'thought' && e.type !== 'answer') {
      applyChatEvent(messages, e, now);
      i++;
      continue;
    }
    const pieces: string[] = [];
    let j = i;
    for (; j < events.length; j++) {
      const n = events[j]!;
      if (n.type !== e.type || n.turnId !== e.turnId) break;
      // an empty delta changes nothing but the phase, which the run's first delta sets anyway
      if (n.text !== '') pieces.push(n.text);
    }
    applyChatEvent(messages, pieces.length > 1 ? { ...e, text: pieces.join('') } : (pieces.length ? { ...e, text: pieces[0]! } : e), now, pieces.length ? pieces : undefined);
    i = j;
  }
}
