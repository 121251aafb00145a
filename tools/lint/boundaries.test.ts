/**
 * The import-boundary blocks of eslint.config.js fire: for every folder, a forbidden import (static, type-only,
 * re-export and dynamic) is an error and a permitted one is not. Linted as text at paths that need not exist.
 */
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const eslint = new ESLint({ cwd: root });

/** The boundary errors ESLint reports for `code` placed at `file` (relative to the repo root). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === 'no-restricted-imports' || m.ruleId === 'no-restricted-syntax' || m.fatal === true)
    .map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

interface Case { file: string; forbidden: string[]; allowed: string[] }

const cases: Case[] = [
  { file: 'src-main/common/x.ts', forbidden: ['node:fs', 'fs', 'node-llama-cpp', 'electron', 'ws', '../engine/LlamaHost', '../host/index', '../cli/cli', '../../tools/eval/runEval', '../host/testing/fakeEngine'], allowed: ['./ledger', './receipts/merkle'] },
  { file: 'src-main/engine/x.ts', forbidden: ['../host/index', '../web/server', 'electron', '../../tools/eval/runEval', '../host/testing/testEngineClient'], allowed: ['node-llama-cpp', '../common/ledger', 'node:fs'] },
  { file: 'src-main/engine/remote/x.ts', forbidden: ['node-llama-cpp', '../../host/index', 'electron', '../../host/testing/testEngineClient'], allowed: ['../../common/ledger', '../DeltaTrimmer', 'node:fs'] },
  { file: 'src-main/engine/x.model.test.ts', forbidden: ['../host/index', '../../tools/eval/evalCommand'], allowed: ['../host/testing/testEngineClient', './LlamaHost'] },
  { file: 'src-main/host/services/X.ts', forbidden: ['node-llama-cpp', '../../engine/LlamaHost', '../../engine/engineEntry', '../../web/server', 'electron', '../../audit/realModel', '../../../tools/eval/runEval', '../testing/fakeEngine'], allowed: ['../../common/types', '../store/Store', 'lowdb/node', '../../audit/keyStore'] },
  { file: 'src-main/host/host.test.ts', forbidden: ['../engine/LlamaHost', 'node-llama-cpp'], allowed: ['./testing/fakeEngine', './index'] },
  { file: 'src-main/host/testing/x.ts', forbidden: ['../../engine/LlamaHost', 'node-llama-cpp', '../../../tools/eval/runEval'], allowed: ['../../common/engineProtocol', '../types'] },
  { file: 'src-main/audit/x.ts', forbidden: ['node-llama-cpp', '../engine/LlamaHost', '../../tools/audit/realModel'], allowed: ['../common/receipts'] },
  { file: 'src-main/web/x.ts', forbidden: ['../engine/LlamaHost', 'node-llama-cpp', 'electron', '../cli/cli', '../../tools/eval/runEval', '../host/testing/fakeEngine'], allowed: ['../host/index', 'ws'] },
  { file: 'src-main/web/server.test.ts', forbidden: ['../engine/LlamaHost'], allowed: ['../host/testing/fakeEngine'] },
  { file: 'src-main/cli/x.ts', forbidden: ['../engine/LlamaHost', 'node-llama-cpp', 'electron', '../../tools/eval/evalCommand', '../host/testing/fakeEngine'], allowed: ['../host/index', '../web/server', './toolCommands'] },
  { file: 'src-main/electron/x.ts', forbidden: ['../engine/LlamaHost', 'node-llama-cpp', '../web/server', '../../tools/eval/runEval'], allowed: ['electron', '../host/index'] },
  { file: 'src-renderer/src/lib/x.ts', forbidden: ['../../../src-main/common/types', '../../../src-main/host/index', 'node:fs', 'path', 'electron', 'node-llama-cpp', 'ws', '../../../tools/eval/runEval', '../../../e2e/helpers'], allowed: ['$common/types', './utils/dates', 'svelte'] },
  { file: 'tools/x/x.ts', forbidden: ['../../src-renderer/src/lib/utils/dates', 'electron', '../../e2e/helpers'], allowed: ['node-llama-cpp', '../../src-main/engine/LlamaHost', '../../src-main/host/index', '../../src-main/common/types'] },
  { file: 'e2e/x.spec.ts', forbidden: ['../src-main/engine/LlamaHost', 'node-llama-cpp', 'electron', '../tools/eval/runEval'], allowed: ['../src-main/common/api', '../src-renderer/src/lib/utils/sanitizeConfig', 'ws'] },
  { file: 'bin/x.mjs', forbidden: ['../src-main/cli/cli.ts', '../tools/eval/evalCommand.ts'], allowed: ['node:fs'] },
];

// Generous: the first lint loads the whole config and typescript-eslint, slow on a busy machine.
describe('import boundaries', { timeout: 60_000 }, () => {
  for (const c of cases) {
    describe(c.file, () => {
      it.each(c.forbidden)('rejects %s (static, type-only, re-export and dynamic)', async (src) => {
        const ts = !c.file.endsWith('.mjs');
        const forms = [
          `import { a } from '${src}';\nexport const b = a;\n`,
          ...(ts ? [`import type { A } from '${src}';\nexport type B = A;\n`] : []),
          `export * from '${src}';\n`,
          `export const load = () => import('${src}');\n`,
        ];
        for (const code of forms) expect(await boundaryErrors(c.file, code), code).not.toEqual([]);
      });
      it.each(c.allowed)('accepts %s', async (src) => {
        expect(await boundaryErrors(c.file, `import { a } from '${src}';\nexport const b = a;\nexport const load = () => import('${src}');\n`)).toEqual([]);
      });
    });
  }

  describe('.svelte <script> blocks', () => {
    const component = (src: string): string =>
      `<script lang="ts">\n  import { onMount } from 'svelte';\n  import { a } from '${src}';\n  let { x }: { x: number } = $props();\n  onMount(() => a);\n</script>\n\n<p>{x}</p>\n`;

    it('reports a forbidden import at its line in the .svelte file', async () => {
      const [result] = await eslint.lintText(component('../../../../src-main/host/index'), { filePath: join(root, 'src-renderer/src/lib/components/X.svelte') });
      const hits = (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports');
      expect(hits.map((m) => [m.line, m.column])).toEqual([[3, 3]]);
    });

    it('accepts $common and leaves template-only uses alone', async () => {
      const [result] = await eslint.lintText(component('$common/types'), { filePath: join(root, 'src-renderer/src/lib/components/X.svelte') });
      expect(result?.messages ?? []).toEqual([]);
    });
  });
});
