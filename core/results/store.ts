import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { toCsv, type CsvRow } from './csv.js';
import { encodeNpy, readNpy } from './npy.js';
import { ResultsDamagedError, RsnError } from '../errors.js';
import { NpyFormatError } from './npy.js';
import type { ParameterArrays, ModelSpec } from '../nn/model.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../experiment/config.js';
import * as paths from './paths.js';
import { EVAL_COLUMNS, STEP_COLUMN, TRAIN_COLUMNS, type RoundSummary } from './records.js';

/** Results on disk that contradict the configuration being run. */
export class ResultsConflictError extends RsnError {}

export interface RoundRecord {
  initKernels: ParameterArrays;
  masks: ParameterArrays;
  postKernels: ParameterArrays;
  train: CsvRow[];
  valid: CsvRow[];
  test: CsvRow[];
  summary: RoundSummary;
}

/** Parse a JSON results file, or raise a ResultsDamagedError that names it and says what to do. */
export function readResultsJson<T>(file: string, hint: string): T {
  const text = readFileSync(file, 'utf8');
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object') throw new SyntaxError('not a JSON object');
    return value as T;
  } catch (error) {
    throw new ResultsDamagedError(`${file} is damaged (${(error as Error).message})`, hint);
  }
}

/** What to do about a damaged file of a completed round: delete the round's folder, which the next run recomputes. */
export const deleteRoundHint = (roundDir: string): string =>
  `delete the folder ${roundDir} (rm -r '${roundDir}') and run the same command again: that round is recomputed, with the same numbers on the same backend`;

/**
 * Checks, reading only, that a configuration directory may hold this configuration: its config.json, if any,
 * parses and records the same settings (`trials` and `eval_batch_size` may differ).
 */
export function checkConfigDir(dir: string, config: ExperimentConfig): void {
  const file = paths.configFile(dir);
  if (!existsSync(file)) return;
  const recorded = readResultsJson<{ config?: Record<string, unknown> }>(file,
    `delete it (rm '${file}'): the next run writes it again from the flags; the trials' results are kept`);
  if (recorded.config === null || typeof recorded.config !== 'object') {
    throw new ResultsDamagedError(`${file} is damaged (it has no "config" object)`, `delete it (rm '${file}'): the next run writes it again from the flags`);
  }
  const { trials: _t, eval_batch_size: _e, ...mine } = config;
  // A setting added after the results were written has its default there.
  const given = recorded.config;
  const was = (k: string) => (k in given ? given[k] : DEFAULT_CONFIG[k as keyof ExperimentConfig]);
  const differing = Object.entries(mine).filter(([k, v]) => was(k) !== v).map(([k]) => k);
  if (differing.length > 0) {
    throw new ResultsConflictError(
      `${dir} holds results of a different configuration (differs in: ${differing.join(', ')})`,
      'pass --force to delete them and retrain, or choose another --experiment_id or --base_dir',
    );
  }
}

/** Claims a configuration directory: records config.json, or checks that the one there matches. */
export function claimConfigDir(dir: string, id: string, config: ExperimentConfig, force: boolean): void {
  if (force) rmSync(dir, { recursive: true, force: true });
  checkConfigDir(dir, config);
  writeFileAtomic(paths.configFile(dir), `${JSON.stringify({ experiment_id: id, config }, null, 2)}\n`);
}

/**
 * A round is complete when its summary.json (written last) and the file of every parameter of the model are
 * there. A round whose kernel file was deleted (the fix for a damaged one) counts as incomplete, so the next run
 * recomputes it.
 */
export function isRoundComplete(trialDir: string, round: number, spec: ModelSpec): boolean {
  const dir = paths.roundDir(trialDir, round);
  return existsSync(paths.roundSummary(dir)) && paths.KERNEL_KINDS.every((kind) => spec.parameters.every((p) => existsSync(paths.kernelFile(dir, kind, p.name))));
}

/** Write a finished round; summary.json goes last so that a killed write leaves the round incomplete. */
export function saveRound(trialDir: string, round: number, spec: ModelSpec, record: RoundRecord): void {
  const dir = paths.roundDir(trialDir, round);
  const kernels: [paths.KernelKind, ParameterArrays][] = [
    ['init_kernels', record.initKernels], ['masks', record.masks], ['post_kernels', record.postKernels],
  ];
  for (const [kind, arrays] of kernels) {
    spec.parameters.forEach((p, i) => writeFileAtomic(paths.kernelFile(dir, kind, p.name), encodeNpy(arrays[i]!, p.shape)));
  }
  // Rows that carry a step (schedules other than the default) get the step column last.
  const columns = (base: readonly string[], rows: readonly CsvRow[]) => (rows[0] && STEP_COLUMN in rows[0] ? [...base, STEP_COLUMN] : base);
  writeFileAtomic(paths.metricsFile(dir, 'train'), toCsv(columns(TRAIN_COLUMNS, record.train), record.train));
  writeFileAtomic(paths.metricsFile(dir, 'valid'), toCsv(columns(EVAL_COLUMNS, record.valid), record.valid));
  writeFileAtomic(paths.metricsFile(dir, 'test'), toCsv(columns(EVAL_COLUMNS, record.test), record.test));
  writeFileAtomic(paths.roundSummary(dir), `${JSON.stringify(record.summary, null, 2)}\n`);
}

export function loadKernels(trialDir: string, round: number, kind: paths.KernelKind, spec: ModelSpec): ParameterArrays {
  const dir = paths.roundDir(trialDir, round);
  return spec.parameters.map((p) => {
    const file = paths.kernelFile(dir, kind, p.name);
    let npy: { values: Float32Array; shape: number[] };
    try {
      npy = readNpy(file);
    } catch (error) {
      if (!(error instanceof NpyFormatError)) throw error;
      throw new ResultsDamagedError(error.message.split('\n  -> ')[0]!, deleteRoundHint(dir));
    }
    if (npy.shape.length !== p.shape.length || npy.shape.some((d, i) => d !== p.shape[i])) {
      throw new ResultsConflictError(`${file} has shape (${npy.shape}), expected (${p.shape.join(', ')}) for ${spec.name}'s ${p.name}`, deleteRoundHint(dir));
    }
    return npy.values;
  });
}

export function loadSummary(trialDir: string, round: number): RoundSummary {
  const dir = paths.roundDir(trialDir, round);
  const summary = readResultsJson<RoundSummary>(paths.roundSummary(dir), deleteRoundHint(dir));
  if (typeof summary.percent_remaining !== 'number' || typeof summary.final !== 'object' || summary.final === null) {
    throw new ResultsDamagedError(`${paths.roundSummary(dir)} is damaged (fields missing)`, deleteRoundHint(dir));
  }
  return summary;
}
