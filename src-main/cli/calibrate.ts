/** `reckon calibrate`: calibrates the DiffAdapt probe of a model, with a progress line and Ctrl-C cancel. */
import type { ProbeCalibrateParams } from '../common/api';
import { ReckonError } from '../common/errors';
import { DIFFICULTIES, type ProbeReport } from '../common/probe/types';
import type { Host } from '../host/index';

export interface CalibrateCliOptions {
  params: ProbeCalibrateParams;
  json: boolean;
  /** `--restore`: remove the user's calibrated probe so the shipped one applies again, instead of calibrating. */
  restore?: boolean;
}

/** `reckon calibrate --restore`: removes the calibrated (and any kept-aside) probe of a model. */
async function cmdRestore(host: Host, o: CalibrateCliOptions, target: { modelId?: string; modelPath?: string }): Promise<number> {
  const s = await host.call('probe.restore', target);
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ modelId: s.modelId, modelSha256: s.modelSha256, source: s.source, report: s.report, keptAside: s.keptAside })}\n`);
  } else {
    const now = s.source === 'shipped' ? 'the shipped probe applies again' : 'this model has no shipped probe, so it answers with the fallback plan';
    process.stdout.write(`Removed the calibrated probe of model ${s.modelId}; ${now}.\n`);
  }
  return 0;
}

/** The report as text: labels, held-out accuracy against the majority baseline, confusion matrix, timings. */
export function formatProbeReport(r: ProbeReport): string {
  const pct = (v: number): string => `${(v * 100).toFixed(1)} %`;
  const w = 8;
  const head = `${'true \\ predicted'.padEnd(18)}${DIFFICULTIES.map((d) => d.padStart(w)).join('')}`;
  const rows = DIFFICULTIES.map((d, i) => `${d.padEnd(18)}${(r.confusion[i] ?? []).map((v) => String(v).padStart(w)).join('')}`);
  const per = DIFFICULTIES.map((d) => `${d} ${r.labelCounts[d]} (score ${pct(r.perLabel[d].accuracy)}, ${r.perLabel[d].thinkingTokens} thinking tokens)`);
  return [
    `questions        ${r.questions} x ${r.samplesPerQuestion} samples (${r.mode === 'agreement' ? 'label-free: agreement across samples' : 'answer keys'})`,
    `labels           ${per.join('; ')}`,
    `held-out         ${r.heldOut} questions (train ${r.train}): accuracy ${pct(r.heldOutAccuracy)} (majority baseline ${pct(r.majorityBaseline)}), length MAE ${r.lengthMae} tokens`,
    head,
    ...rows,
    `time             calibration ${(r.calibrationMs / 1000).toFixed(1)} s, training ${(r.trainMs / 1000).toFixed(1)} s`,
  ].join('\n');
}

export async function cmdCalibrate(host: Host, o: CalibrateCliOptions): Promise<number> {
  const target = { ...(o.params.modelId !== undefined ? { modelId: o.params.modelId } : {}), ...(o.params.modelPath !== undefined ? { modelPath: o.params.modelPath } : {}) };
  if (o.restore === true) return cmdRestore(host, o, target);
  const tty = !o.json && process.stderr.isTTY === true;
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
    void host.call('probe.cancel', {}).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  let lastLine = '';
  const timer = setInterval(() => {
    void host.call('probe.status', target).then((s) => {
      const p = s.running;
      // A Ctrl-C that came before the run had started is applied as soon as it has.
      if (interrupted && p !== null) void host.call('probe.cancel', {}).catch(() => undefined);
      if (p === null || p.total === 0) return;
      const line = `Calibrating: ${p.phase} ${p.done}/${p.total} (${Math.round((100 * p.done) / p.total)} %), ${Math.round(p.elapsedS)} s`;
      if (tty) process.stderr.write(`\r\x1b[2K${line}`);
      else if (!o.json && p.phase !== lastLine) process.stderr.write(`${line}\n`);
      lastLine = tty ? line : p.phase;
    }, () => undefined);
  }, 500);
  try {
    const s = await host.call('probe.calibrate', o.params);
    if (tty) process.stderr.write('\r\x1b[2K');
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ modelId: s.modelId, modelSha256: s.modelSha256, source: s.source, report: s.report, keptAside: s.keptAside })}\n`);
    } else if (s.keptAside !== null) {
      // A successful install clears the candidate, so a kept-aside entry after the run is this run's.
      process.stdout.write(`${formatProbeReport(s.keptAside.report)}\nNew probe ${s.keptAside.reason}; the current probe (${s.source ?? 'none'}) stays in use. \`reckon calibrate --restore\` brings back the shipped probe.\n`);
    } else if (s.report !== null) {
      process.stdout.write(`${formatProbeReport(s.report)}\nSaved the probe for model ${s.modelId} (sha256 ${s.modelSha256.slice(0, 16)}…).\n`);
    }
    return 0;
  } catch (err) {
    if (tty) process.stderr.write('\r\x1b[2K');
    const e = ReckonError.from(err);
    if (interrupted && e.code === 'TURN_ABORTED') {
      if (o.json) process.stdout.write(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
      else process.stderr.write('Calibration cancelled; the previous probe (if any) is kept.\n');
      return 130;
    }
    throw e;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSigint);
  }
}
