/**
 * The shipped GGUF, loaded by node-llama-cpp with explicit threads:
 * - parity: reproduces PyTorch's golden greedy outputs token for token (tokenizer and weights);
 * - behaviour: answers held-out problems per tier at the model card's rates, thinks longer on harder tiers,
 *   and still answers well-formed when </think> is forced early.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Token } from 'node-llama-cpp';
import { chatPrompt, greedyTokens, loadBundled, readGolden, readHeldout, splitAnswer, type Loaded } from './reckonArith';
import card from '../../models/golden/card-thresholds.json';

let m: Loaded;
beforeAll(async () => { m = await loadBundled(1); });
afterAll(async () => { await m?.dispose(); });

describe('parity with the training framework', () => {
  it('tokenises every golden prompt exactly as the recipe did', () => {
    for (const c of readGolden().cases) {
      expect(m.model.tokenize(c.prompt, true).map(Number), c.question).toEqual(c.prompt_tokens.slice(1));
    }
  });

  it('reproduces every golden greedy output token for token', async () => {
    const g = readGolden();
    for (const c of g.cases) {
      const out = await greedyTokens(m.context, c.prompt_tokens as Token[], g.max_new_tokens);
      expect(out, c.question).toEqual(c.output_tokens);
    }
  });
});

describe('behaviour on held-out problems', () => {
  const perTier = 12;
  const results = new Map<string, { ok: number; n: number; thinking: number[] }>();

  beforeAll(async () => {
    const byTier = new Map<string, ReturnType<typeof readHeldout>>();
    for (const it of readHeldout()) byTier.set(it.tier, [...(byTier.get(it.tier) ?? []), it]);
    for (const [tier, items] of byTier) {
      const r = { ok: 0, n: 0, thinking: [] as number[] };
      for (const it of items.slice(0, perTier)) {
        const ids = await greedyTokens(m.context, m.model.tokenize(chatPrompt(it.question), true), 480);
        const text = m.model.detokenize(ids as Token[], true);
        const s = splitAnswer(text);
        r.n++;
        if (s.value === it.answer) r.ok++;
        r.thinking.push(m.model.tokenize(s.thinking, true).length);
      }
      results.set(tier, r);
    }
  }, 600_000);

  it('answers each tier at the rate the model card states (within sampling slack)', () => {
    for (const [tier, min] of Object.entries(card.minAccuracyOnSample as Record<string, number>)) {
      const r = results.get(tier);
      expect(r, tier).toBeDefined();
      expect(r!.ok / r!.n, `${tier}: ${r!.ok}/${r!.n}`).toBeGreaterThanOrEqual(min);
    }
  });

  it('thinks longer as problems get harder', () => {
    const mean = (t: string) => { const xs = results.get(t)!.thinking; return xs.reduce((a, b) => a + b, 0) / xs.length; };
    expect(mean('add1-3')).toBeLessThan(mean('add4-5'));
    expect(mean('add4-5')).toBeLessThan(mean('add6'));
    expect(mean('sub1-3')).toBeLessThan(mean('sub4-5'));
    expect(mean('expr2-3')).toBeLessThan(mean('expr4-5'));
  });
});

describe('budget forcing', () => {
  it('still gives a well-formed answer when </think> is forced after a few thinking tokens', async () => {
    const promptTokens = m.model.tokenize(chatPrompt('What is 4528 + 937?'), true);
    const endThink = m.model.tokenize('</think>', true);
    expect(endThink).toHaveLength(1);
    const seq = m.context.getSequence();
    try {
      let thinking = 0;
      const out: Token[] = [];
      const it = seq.evaluate(promptTokens, { temperature: 0, yieldEogToken: true });
      let next = await it.next();
      while (!next.done) {
        const t = next.value;
        if (m.model.isEogToken(t)) break; // <|im_end|> ends the answer; it is not part of it
        if (out.length > 200) { out.push(t); break; }
        thinking++;
        if (thinking === 12) {
          // budget spent: discard the sampled token and decode </think> instead (s1-style budget forcing)
          out.push(endThink[0]!);
          next = await it.next(endThink);
        } else {
          out.push(t);
          next = await it.next();
        }
      }
      await it.return();
      const text = m.model.detokenize(out, true);
      const s = splitAnswer(text);
      expect(text).toContain('</think>');
      expect(s.answer).toMatch(/^4528 \+ 937 = -?\d+$/);
      expect(s.value).not.toBeNull();
    } finally {
      seq.dispose();
    }
  });
});
