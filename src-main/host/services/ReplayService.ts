/**
 * The replay audit (docs/receipts.md "Replay audit"): an auditor that holds the model file a receipt names re-runs
 * the committed plan (greedy, or the committed seed) through the engine, fingerprints what it gets and compares the
 * tree with the committed root. Where the roots differ and the committed token ids are at hand (a provider store),
 * the committed thinking tokens are teacher-forced through the model: the first position the model would not have
 * produced, and how many such positions there are, name the divergence. The decision itself is common/receipts/replay.ts.
 */
import { randomUUID } from 'node:crypto';
import { activePath, parentOf } from '../../common/branches';
import { mergeControllerSettings } from '../../common/controller/defaults';
import type { GenerateParams, HistoryItem } from '../../common/engineProtocol';
import { ReckonError } from '../../common/errors';
import type { ReceiptExport, ReceiptReplayParams, ReplayReport } from '../../common/receiptApi';
import {
  bindingProblems, committedSegments, contextProblems, countDifferences, decideReplay, divergenceOf, fromBase64, isReceiptContext, rootOfLeaves,
  storeMatchesRoot, textSha256, verifyReceipt, type Divergence, type HiddenCounts, type Receipt, type ReceiptContext,
} from '../../common/receipts';
import type { Conversation, Message, ModelInfo } from '../../common/types';
import type { EngineSupervisor } from '../supervisor/EngineSupervisor';
import type { ConversationsService } from './ConversationsService';
import { historyOf } from './ChatService';
import type { ModelsService } from './ModelsService';
import type { ReceiptService } from './ReceiptService';
import type { SettingsService } from './SettingsService';

/** The collaborators of ReplayService. */
export interface ReplayServiceOptions {
  engine: EngineSupervisor;
  conversations: ConversationsService;
  models: ModelsService;
  settings: SettingsService;
  receipts: ReceiptService;
  /** The model's stored probe (the same the chat uses), so the re-execution plans as the turn did. */
  probePathFor(model: ModelInfo): Promise<{ path: string } | null>;
}

/** Top-k of the engine's sampler for temperature > 0 (decodePath): a sampled token ranks within it. */
const SAMPLER_TOP_K = 40;

/** Strategies that run one decoding path (teacher forcing follows that path; drafts run on parallel sequences). */
const SINGLE_PATH = new Set(['budget', 'early-exit']);

export class ReplayService {
  constructor(private readonly o: ReplayServiceOptions) {}

  async replay(p: ReceiptReplayParams): Promise<ReplayReport> {
    const t0 = performance.now();
    const notes: string[] = [];
    let via = 'local';
    let exp: ReceiptExport;
    if (p.remote !== undefined) {
      const base = new URL(p.remote);
      via = `${base.protocol}//${base.host}`;
      const id = p.export?.messageId ?? p.messageId;
      if (id === undefined) throw new ReckonError('BAD_REQUEST', 'receipts.replay: a remote replay needs messageId or export.');
      const res = await fetch(`${via}/audit/receipt/${encodeURIComponent(id)}?token=${encodeURIComponent(base.searchParams.get('token') ?? '')}`);
      if (!res.ok) throw new ReckonError(res.status === 404 ? 'RECEIPT_NOT_FOUND' : 'BAD_REQUEST', `The remote Reckon answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
      exp = (await res.json()) as ReceiptExport;
      notes.push('the issuer serves no token ids: only an identical root can pass');
    } else if (p.export !== undefined) {
      exp = p.export;
    } else if (p.messageId !== undefined) {
      exp = await this.o.receipts.get(p.messageId, true);
    } else {
      throw new ReckonError('BAD_REQUEST', 'receipts.replay: give messageId, export or remote.');
    }
    const receipt = exp.receipt as Receipt;
    if (receipt === undefined || typeof receipt !== 'object') throw new ReckonError('BAD_REQUEST', 'Not a Reckon receipt export.');

    // The committed side: a valid signature over a receipt bound to this question, and (with a store) leaves that
    // build its root, so the token ids read back are the committed ones.
    const v = await verifyReceipt(receipt);
    const problems = [...v.problems];
    // The export's message, conversation, question and answer must be the ones the receipt signs (not just the question).
    if (v.problems.length === 0) problems.push(...bindingProblems(receipt, { messageId: exp.messageId, conversationId: exp.conversationId, question: exp.question, answer: exp.answer, ...(exp.context !== undefined ? { context: exp.context } : {}) }));
    const store = exp.store !== undefined && exp.store.receipt?.signature === receipt.signature ? exp.store : undefined;
    if (exp.store !== undefined && store === undefined) problems.push('the provider store belongs to another receipt');
    if (store !== undefined && !storeMatchesRoot(store)) problems.push('the stored leaves do not build the signed root');

    const sha = String(receipt.modelSha256 ?? '').toLowerCase();
    const model = (await this.o.models.list()).find((m) => m.sha256.toLowerCase() === sha);
    if (model === undefined) throw new ReckonError('MODEL_NOT_FOUND', `The receipt names model ${sha.slice(0, 16)}…; import that GGUF to replay it.`);

    const local = via === 'local' ? this.#context(exp, model) : null;
    // The context the re-execution runs: the export's (checked against the signed hashes above), else the local
    // conversation's, which must then hash to what the receipt signs; a receipt from before context binding takes
    // the local conversation as it is.
    const binds = v.ok && receipt.version === 2 && receipt.systemPromptSha256 !== undefined;
    let ctx: ReceiptContext | null = isReceiptContext(exp.context) ? exp.context : null;
    if (ctx === null && local !== null) ctx = { systemPrompt: local.message.plan?.systemPrompt || this.o.settings.get().systemPrompt, history: local.history };
    if (binds && exp.context === undefined) {
      const found = ctx === null ? [] : contextProblems(receipt, ctx);
      if (ctx === null) problems.push('the receipt signs a context (system prompt and earlier turns) that the export does not carry and no local conversation holds');
      else if (found.length > 0) problems.push(`the local conversation is not the signed context: ${found.join('; ')}`);
    }
    const committedValid = problems.length === 0;
    const committed: ReplayReport['committed'] = {
      root: String(receipt.root), treeSize: Number(receipt.treeSize), counts: receipt.counts, valid: committedValid,
      ...(committedValid ? {} : { problem: problems.join('; ') }),
    };
    const plan = receipt.version === 2 ? receipt.plan ?? null : null;
    const inputs: ReplayReport['inputs'] = {
      historyItems: ctx?.history.length ?? 0, seed: plan?.seed ?? null, strategy: plan?.requested ?? 'auto', effort: plan?.effort ?? 'auto',
      context: ctx === null ? 'question only' : isReceiptContext(exp.context) ? 'signed context' : 'conversation',
    };
    if (ctx === null) notes.push('no local conversation holds this answer and the export carries no context: replayed on the question alone');
    const parallel = plan !== null && (plan.drafts > 0 || plan.sampling !== null || plan.rounds !== null);

    let reexecuted: ReplayReport['reexecuted'] = null;
    let greedy = true;
    let ranStrategy: string | null = null;
    if (!committedValid) notes.push('not re-executed: the committed side does not verify');
    else if (plan === null) notes.push('not re-executed: the receipt binds no plan (a v1 receipt or a turn without the controller)');
    else if (parallel && plan.seed === null) notes.push('not re-executed: parallel drafts sample, and the receipt names no seed');
    else {
      const s = this.o.settings.get();
      const probe = plan.requested === 'long' ? null : await this.o.probePathFor(model).catch(() => null);
      const params: GenerateParams & { requestId: string } = {
        requestId: randomUUID(), chatKey: `replay-${randomUUID()}`, modelPath: model.path,
        systemPrompt: ctx?.systemPrompt ?? s.systemPrompt, history: ctx?.history ?? [], question: exp.question,
        maxTokens: s.maxTokens, temperature: s.temperature, thinkingBudget: plan.thinkingBudget,
        strategy: plan.requested as GenerateParams['strategy'], effort: plan.effort as GenerateParams['effort'],
        ...(plan.seed !== null ? { seed: plan.seed } : {}),
        controller: mergeControllerSettings(s.controller),
        pdrWorkspace: model.pdrWorkspace ?? 'summary', probePath: probe?.path ?? null,
        // A turn planned without a probe planned from the engine's running average: pin the difficulty it stored.
        ...(receipt.counts.overhead.probe === 0 && local?.message.difficulty !== undefined ? { difficulty: { ...local.message.difficulty, probeTokens: 0 } } : {}),
        receipt: { modelSha256: model.sha256 },
      };
      const r = await this.o.engine.call('generate', params, { requestId: params.requestId });
      ranStrategy = r.plan?.strategy ?? null;
      greedy = (r.plan?.temperature ?? local?.message.plan?.temperature ?? 0) === 0;
      if (!greedy && plan.seed === null) notes.push('a sampled turn without a seed: the re-execution cannot reproduce it');
      if (r.fingerprints === undefined) notes.push(`the re-execution was not fingerprinted: ${r.fingerprintError ?? 'no fingerprints'}`);
      else {
        const leaves = fromBase64(r.fingerprints.leaves);
        const root = rootOfLeaves(leaves, r.fingerprints.spec.dims);
        const counts: HiddenCounts = r.fingerprints.counts;
        reexecuted = {
          root, treeSize: counts.hidden, counts, rootMatches: root === receipt.root && counts.hidden === receipt.treeSize,
          answerMatches: receipt.version !== 2 || textSha256(r.answer) === receipt.answerSha256, countDiffs: countDifferences(receipt.counts, counts),
        };
      }
    }

    // Teacher forcing: the committed thinking tokens through the model, when the tree did not reproduce.
    let forced: Divergence | null = null;
    let forcedSkipped: string | undefined;
    if (committedValid && reexecuted?.rootMatches !== true) {
      const strategy = ranStrategy ?? plan?.strategy ?? null;
      if (store === undefined) forcedSkipped = 'no committed token ids (the export has no provider store)';
      else if (strategy === null || !SINGLE_PATH.has(strategy)) forcedSkipped = `teacher forcing follows one decoding path, and this turn ran '${strategy ?? 'unknown'}'`;
      else {
        const thinking = committedSegments(store).filter((g) => g.kind === 'thinking').flatMap((g) => g.tokens);
        const tf = await this.o.engine.call('teacherForce', {
          modelPath: model.path, systemPrompt: ctx?.systemPrompt ?? this.o.settings.get().systemPrompt, history: ctx?.history ?? [], question: exp.question, tokens: thinking,
          topK: greedy ? 1 : SAMPLER_TOP_K,
        });
        forced = divergenceOf(tf.ranks, { forcedClose: tf.closeToken !== null && thinking.at(-1) === tf.closeToken });
      }
      if (forcedSkipped !== undefined) notes.push(`not teacher-forced: ${forcedSkipped}`);
    }
    if (reexecuted !== null && !reexecuted.answerMatches) notes.push('the re-executed answer differs from the signed one');

    const decision = decideReplay({
      committedValid, committedProblem: committed.problem, rootMatches: reexecuted?.rootMatches ?? null,
      countDiffs: reexecuted?.countDiffs ?? [], forced, greedy,
      forcedSkipped: forcedSkipped ?? notes.find((n) => n.startsWith('not re-executed'))?.replace(/^not re-executed: /, 'it was not re-executed: '),
    });
    return {
      messageId: exp.messageId, ...decision, committed, reexecuted,
      teacherForced: forced === null ? null : { positions: forced.positions, firstDivergence: forced.first, divergent: forced.divergent, criterion: greedy ? 'greedy' : 'top-k' },
      notes, inputs, via, ms: Math.round(performance.now() - t0),
    };
  }

  /** The local conversation that holds the answer: the history above its question, as the chat built it. */
  #context(exp: ReceiptExport, model: ModelInfo): { history: HistoryItem[]; message: Message } | null {
    let conv: Conversation;
    try {
      conv = this.o.conversations.require(exp.conversationId);
    } catch {
      return null;
    }
    const message = conv.messages.find((m) => m.id === exp.messageId);
    const question = message?.parentId !== undefined ? conv.messages.find((m) => m.id === message.parentId) : undefined;
    if (message === undefined || question === undefined || question.text !== exp.question) return null;
    const above = question.parentId === undefined ? parentOf(conv.messages, conv.messages.indexOf(question)) : question.parentId;
    const history = above === null ? [] : historyOf(activePath({ messages: conv.messages, leafId: above }), model.historyTurns ?? null);
    return { history, message };
  }
}
