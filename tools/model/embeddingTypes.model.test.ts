/**
 * Receipts read the token embedding table in every storage type llama.cpp's presets write it in: the test model
 * (qwen3-small, F16, the real 151k vocabulary) is re-quantised by llama-quantize with `--token-embedding-type` for
 * each type, and the rows Reckon decodes must match the F16 original within that type's quantisation error. A wrong
 * block layout (nibble order, scale packing, high bits) decodes to uncorrelated values, a relative error near 1.4.
 * Needs llama-quantize (tools/engines/buildLlamaCpp.sh; `npm test` builds it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TokenEmbeddings } from '../../src-main/engine/receipts/TokenEmbeddings';
import { ReceiptRows } from '../../src-main/engine/receipts/ReceiptRows';
import { mulberry32 } from '../../src-main/common/probe/rng';
import { ensureTestModel, llamaCppTool } from './testModels';

const dir = mkdtempSync(join(tmpdir(), 'reckon-embd-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** llama-quantize's name for the type, and the largest relative RMS error of a row its quantisation allows. */
const TYPES: [string, string, number][] = [
  ['BF16', 'bf16', 0.01], ['Q8_0', 'q8_0', 0.01], ['Q6_K', 'q6_k', 0.05], ['Q5_K', 'q5_k', 0.1], ['Q5_0', 'q5_0', 0.1],
  ['Q5_1', 'q5_1', 0.1], ['Q4_K', 'q4_k', 0.2], ['Q4_0', 'q4_0', 0.2], ['Q4_1', 'q4_1', 0.2],
];

function relativeError(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += a[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('token embedding rows in every preset storage type', () => {
  const f16 = ensureTestModel('qwen3-small', 'F16');
  const quantize = llamaCppTool('llama-quantize');

  it.each(TYPES)('%s rows match the F16 original', async (name, cli, limit) => {
    if (quantize === null) throw new Error('llama-quantize is not built: run tools/engines/buildLlamaCpp.sh');
    const out = join(dir, `${cli}.gguf`);
    execFileSync(quantize, ['--token-embedding-type', cli, f16, out, 'q8_0', '1'], { stdio: 'ignore' });
    const [ref, got] = await Promise.all([TokenEmbeddings.open(f16), TokenEmbeddings.open(out)]);
    expect(got.type).toBe(name);
    expect([got.dims, got.vocabSize]).toEqual([ref.dims, ref.vocabSize]);
    const rand = mulberry32(7);
    const ids = [0, 1, ref.vocabSize - 1, ...Array.from({ length: 64 }, () => Math.floor(rand() * ref.vocabSize))];
    const errors = ids.map((id) => relativeError(ref.row(id), got.row(id)));
    expect(Math.max(...errors)).toBeLessThan(limit);
  });

  it('a table that cannot be read fails fast until the file changes, with the types it can read named', async () => {
    if (quantize === null) throw new Error('llama-quantize is not built: run tools/engines/buildLlamaCpp.sh');
    const out = join(dir, 'q2k.gguf');
    execFileSync(quantize, ['--token-embedding-type', 'q2_k', f16, out, 'q8_0', '1'], { stdio: 'ignore' });
    const rows = new ReceiptRows({ modelFor: () => Promise.reject(new Error('not used')) });
    await expect(rows.table(out)).rejects.toThrow(/ggml type 10; receipts read .*Q6_K/);
    // The same rejected answer is kept, not a second header read.
    expect(rows.table(out)).toBe(rows.table(out));
    execFileSync(quantize, ['--token-embedding-type', 'q6_k', f16, out, 'q8_0', '1'], { stdio: 'ignore' });
    expect((await rows.table(out)).type).toBe('Q6_K');
  });
});
