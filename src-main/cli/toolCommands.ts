import type { EngineChoice } from '../host/types';
/**
 * Commands the CLI offers but whose code lives in tools/ (research harnesses that drive the engine directly).
 * Runtime code never imports tools/: bin/reckon.mjs loads the built tools entry and passes it to `main`.
 */
import type { Effort } from '../common/controller/types';

export interface EvalCommandOptions {
  /** JSONL set; default: models/golden/heldout.jsonl (or a generated stand-in). */
  set?: string;
  /** Comma-separated strategies (long, budget, auto, early-exit, short-m@k, pdr) or all. Defaults to all. */
  strategy?: string;
  /** Run every arm at each of these efforts (one row per arm and effort) instead of the arms' own. */
  efforts?: Effort[];
  /** Questions per tier. Defaults to 3 (12 with `audit`). */
  n?: number;
  seed?: number;
  json?: boolean;
  /** Model path (.gguf); default: the bundled model. */
  modelPath?: string;
  /** Where the report files go. Defaults to `<data folder>/reports/eval-<time>/` (`audit-<time>` with `audit`). */
  outDir?: string;
  /** llama threads. Defaults to 1. */
  threads?: number;
  maxTokens?: number;
  /** Run the receipt attack suite instead (tools/audit/realModel.ts); writes audit.md. */
  audit?: boolean;
  /** The engine the comparison runs on (--engine / RECKON_ENGINE_URL); absent = the built-in one. */
  engine?: EngineChoice;
}

/** What bin/reckon.mjs hands to the CLI; a build without tools leaves it empty. */
export interface ToolCommands {
  /** `reckon eval`: resolves with the exit code. */
  eval?: (o: EvalCommandOptions) => Promise<number>;
}
