/**
 * `reckon eval`: runs the comparison, writes report.md + pareto.svg into the output folder, prints a table or JSON.
 * Built as out/main/eval.js; bin/reckon.mjs hands it to the CLI (runtime code never imports tools/).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvalCommandOptions } from '../../src-main/cli/toolCommands';
import { createHost, repoRoot } from '../../src-main/host/index';
import { displayPath, reportDir } from '../reportDir';
import { configsFor } from './configs';
import { builtinSet, readEvalSet, takePerTier } from './evalSet';
import { hostRunner } from './hostRunner';
import { markdownReport, paretoSvg } from './report';
import { runEval, summarise } from './runEval';

export async function evalCommand(o: EvalCommandOptions): Promise<number> {
  const root = repoRoot();
  if (o.audit === true) {
    // The suite loads the model itself (node-llama-cpp, CPU, o.threads) and fingerprints with the engine's reader.
    const { writeAuditEval } = await import('../audit/evalAuditRun');
    return writeAuditEval({
      root, modelPath: o.modelPath, perTier: o.n ?? 12, seed: o.seed ?? 1, threads: o.threads ?? 1, json: o.json === true,
      outDir: reportDir('audit', o.outDir), command: 'reckon eval --audit',
    });
  }
  // Resolved first: a bad --out fails before the run, not after it.
  const outDir = reportDir('eval', o.outDir);
  const seed = o.seed ?? 1;
  const n = o.n ?? 8; // per tier: 72 questions on the bundled model's nine tiers
  const configs = configsFor(o.strategy, o.efforts);
  const picked = o.set !== undefined
    ? { questions: takePerTier(readEvalSet(o.set), n), source: o.set }
    : builtinSet(join(root, 'models', 'golden', 'heldout.jsonl'), n, seed);
  // The report names the set relative to the package, never by a path of the machine it ran on.
  const set = { ...picked, source: displayPath(picked.source, root) };
  // A throw-away user-data folder: eval turns must not clutter the user's conversations.
  const home = mkdtempSync(join(tmpdir(), 'reckon-eval-'));
  const host = await createHost({ userDataDir: home, modelsDir: join(root, 'models'), shell: 'cli', ...(o.engine !== undefined ? { engine: o.engine } : {}) });
  try {
    await host.call('settings.update', { threads: o.threads ?? 1 });
    const models = await host.call('models.list');
    const model = o.modelPath !== undefined ? models.find((m) => m.path === o.modelPath) : models.find((m) => m.path.endsWith('reckon-arith.gguf')) ?? models[0];
    const base = o.modelPath !== undefined ? { modelPath: o.modelPath } : model !== undefined ? { modelId: model.id } : {};
    const results = await runEval({
      questions: set.questions, configs, seed, run: hostRunner(host, { ...base, maxTokens: o.maxTokens ?? 384 }),
      onResult: (r, done, total) => {
        if (!o.json) process.stderr.write(`\r[${done}/${total}] ${r.config.padEnd(18)} ${r.tier.padEnd(8)} ${r.correct ? 'ok ' : 'bad'}`);
      },
    });
    if (!o.json) process.stderr.write('\n');
    const rows = summarise(results);
    mkdirSync(outDir, { recursive: true });
    const meta = {
      model: model?.name ?? o.modelPath ?? 'unknown', modelSha256: model?.sha256 ?? 'unknown', setSource: set.source,
      questions: set.questions.length, seed, threads: o.threads ?? 1, date: new Date().toISOString(), plotFile: 'pareto.svg',
    };
    writeFileSync(join(outDir, 'report.md'), markdownReport(rows, meta, results));
    writeFileSync(join(outDir, 'pareto.svg'), paretoSvg(rows, `accuracy vs billed (${meta.questions} questions)`));
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ meta, results, summary: rows, outDir })}\n`);
    } else {
      for (const r of rows.filter((x) => x.tier === 'overall')) {
        process.stdout.write(`${r.config.padEnd(18)} acc ${(100 * r.accuracy).toFixed(1).padStart(5)} %  billed ${r.billed.toFixed(0).padStart(5)}  thinking ${r.thinking.toFixed(0).padStart(5)}  overhead ${r.overhead.toFixed(0).padStart(5)}  seq ${r.sequential.toFixed(0).padStart(5)}  ${r.ms.toFixed(0)} ms\n`);
      }
      process.stdout.write(`report: ${join(outDir, 'report.md')}\n`);
    }
    return 0;
  } finally {
    await host.close();
    rmSync(home, { recursive: true, force: true });
  }
}
