/**
 * Effort levels formatted by each supported family's real chat template: the templates llama.cpp ships
 * (models/templates in node-llama-cpp's gitRelease.bundle), resolved by node-llama-cpp from the template text alone,
 * the way the engine does at load.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveChatWrapper, type ChatHistoryItem, type ChatWrapper, type HarmonyChatWrapper } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { effortControlFor, type EffortLevel, type ManifestEffort } from '../common/controller/effort';
import { makePlan } from '../common/controller/plan';
import type { Effort } from '../common/controller/types';
import { chatWrapperFor } from './chatWrapperFor';
import { classifyChatTemplate } from './classifyChatTemplate';
import { effortTurn } from './effortTurn';

const bundle = fileURLToPath(new URL('../../node_modules/node-llama-cpp/llama/gitRelease.bundle', import.meta.url));
let repo = '';

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`node-llama-cpp's llama.cpp bundle is missing (${bundle})`);
  repo = mkdtempSync(join(tmpdir(), 'reckon-templates-'));
  execFileSync('git', ['init', '-q', '--bare', repo]);
  execFileSync('git', ['-C', repo, 'fetch', '-q', bundle, 'HEAD']);
}, 120_000);
afterAll(() => {
  if (repo !== '') rmSync(repo, { recursive: true, force: true });
});

function template(name: string): string {
  return execFileSync('git', ['-C', repo, 'show', `FETCH_HEAD:models/templates/${name}.jinja`], { encoding: 'utf8', maxBuffer: 4 << 20 });
}

/** What the engine does at load (LlamaHost): resolve from the file's template (no file name to go by), classify, pick. */
function load(templateText: string, vocabulary?: string[]): { wrapper: ChatWrapper; family: string; thinking: boolean } {
  const resolved = resolveChatWrapper({ fileInfo: { metadata: { general: {}, tokenizer: { chat_template: templateText } } } as never, warningLogs: false });
  const cls = classifyChatTemplate(templateText, vocabulary, resolved);
  return { wrapper: chatWrapperFor(cls.family, resolved), ...cls };
}

/** The formatted prompt text of one turn at an effort, as ChatRunner builds it. */
function prompt(m: ReturnType<typeof load>, effort: Effort, o: { manifest?: ManifestEffort; systemPrompt?: string } = {}): { text: string; level: EffortLevel | null } {
  const control = effortControlFor(o.manifest ?? null, m.family, m.thinking);
  const plan = makePlan({
    difficulty: { difficulty: 'normal', probabilities: null, expectedThinkingTokens: 100, source: 'probe', probeTokens: 0 },
    effort, strategy: 'budget', control,
  });
  const t = effortTurn({ chatWrapper: m.wrapper, control, level: plan.effortLevel, systemPrompt: o.systemPrompt ?? '', question: 'What is 2+2?' });
  const history: ChatHistoryItem[] = [];
  if (t.systemPrompt !== '') history.push({ type: 'system', text: t.systemPrompt });
  history.push({ type: 'user', text: t.question }, { type: 'model', response: [] });
  return { text: t.chatWrapper.generateContextState({ chatHistory: history }).contextText.toString(), level: plan.effortLevel };
}

// Resolving a template runs node-llama-cpp's jinja matching (seconds on a busy machine): a hang guard, not a speed test.
describe('effort levels in real chat templates', { timeout: 300_000 }, () => {
  it('gpt-oss: the level is the system message\'s "Reasoning:" line, not a developer instruction', () => {
    const m = load(template('openai-gpt-oss-120b'));
    expect(m.family).toBe('gpt-oss');
    const loadedLevel = (m.wrapper as HarmonyChatWrapper).reasoningEffort;
    for (const level of ['low', 'medium', 'high'] as const) {
      const { text } = prompt(m, level, { systemPrompt: 'Be terse.' });
      const system = text.slice(text.indexOf('<|start|>system<|message|>'), text.indexOf('<|end|>'));
      expect(system).toContain(`Reasoning: ${level}`);
      expect(text.match(/Reasoning: (low|medium|high)/g)).toEqual([`Reasoning: ${level}`]);
      // The user's system prompt stays the developer message.
      expect(text).toMatch(/<\|start\|>developer<\|message\|>[^]*Be terse\./);
    }
    // The loaded wrapper itself is untouched (the next turn may ask for another level); Auto's Normal asks for medium.
    expect((m.wrapper as HarmonyChatWrapper).reasoningEffort).toBe(loadedLevel);
    expect(prompt(m, 'auto').text).toContain('Reasoning: medium');
  });

  it('Qwen3: low switches thinking off with /no_think at the end of the question; other efforts leave it on', () => {
    for (const name of ['Qwen-Qwen3-0.6B', 'Qwen3.5-4B']) {
      const m = load(template(name));
      expect([m.family, m.thinking]).toEqual(['qwen', true]);
      const low = prompt(m, 'low');
      expect(low.level).toBe('low');
      expect(low.text).toContain('<|im_start|>user\nWhat is 2+2? /no_think<|im_end|>');
      for (const e of ['high', 0.5, 'auto'] as const) expect(prompt(m, e).text).not.toContain('/no_think');
    }
  });

  it('DeepSeek-R1: no native control, the prompt is the same at every effort (the budget is the knob)', () => {
    const m = load(template('deepseek-ai-DeepSeek-R1-Distill-Qwen-32B'));
    expect(m.family).toBe('deepseek-r1');
    const texts = (['low', 'medium', 'high', 0.25, 'auto'] as const).map((e) => prompt(m, e));
    expect(new Set(texts.map((t) => t.text)).size).toBe(1);
    expect(texts.every((t) => t.level === null)).toBe(true);
  });

  it('a manifest\'s levels win over the family\'s control: its line ends the system message', () => {
    const manifest: ManifestEffort = {
      levels: { low: { systemLine: 'Reasoning effort: low' }, medium: { systemLine: 'Reasoning effort: medium' }, high: { systemLine: 'Reasoning effort: high' } },
      default: 'high',
      thinkingShare: { low: 0.3, medium: 0.55, high: 1 },
    };
    // The bundled model's family: ChatML with <think> tokens.
    const chatml = load('{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n', ['<think>', '</think>', '<|im_start|>', '<|im_end|>']);
    expect(chatml.family).toBe('chatml-think');
    expect(prompt(chatml, 0.25, { manifest }).text).toContain('<|im_start|>system\nReasoning effort: low<|im_end|>');
    expect(prompt(chatml, 'medium', { manifest, systemPrompt: 'Be terse.' }).text).toContain('<|im_start|>system\nBe terse.\nReasoning effort: medium<|im_end|>');
    const qwen = prompt(load(template('Qwen-Qwen3-0.6B')), 'low', { manifest });
    expect(qwen.text).toContain('Reasoning effort: low');
    expect(qwen.text).not.toContain('/no_think');
  });
});
