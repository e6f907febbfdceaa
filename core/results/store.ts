import { existsSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from './atomic.js';
import { toCsv, type CsvRow } from './csv.js';
import { encodeNpy, readNpy } from './npy.js';
import { RsnError } from '../errors.js';
import type { LayerArrays, ModelSpec } from '../nn/model.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../experiment/config.js';
import * as paths from './paths.js';
import { EVAL_COLUMNS, STEP_COLUMN, TRAIN_COLUMNS, type RoundSummary } from './records.js';

/** Results on disk that contradict the configuration being run. */
export class ResultsConflictError extends RsnError {}

export interface RoundRecord {
  initKernels: LayerArrays;
  masks: LayerArrays;
  postKernels: LayerArrays;
  train: CsvRow[];
  valid: CsvRow[];
  test: CsvRow[];
  summary: RoundSummary;
}

/** Claims a configuration directory: records config.json, or checks that the one there matches. */
export function claimConfigDir(dir: string, id: string, config: ExperimentConfig, force: boolean): void {
  const file = paths.configFile(dir);
  if (force) rmSync(dir, { recursive: true, force: true });
  if (existsSync(file)) {
    const recorded = JSON.parse(readFileSync(file, 'utf8')) as { config: Record<string, unknown> };
    const { trials: _t, eval_batch_size: _e, ...mine } = config;
    // A setting added after the results were written has its default there.
    const was = (k: string) => (k in recorded.config ? recorded.config[k] : DEFAULT_CONFIG[k as keyof ExperimentConfig]);
    const differing = Object.entries(mine).filter(([k, v]) => was(k) !== v).map(([k]) => k);
    if (differing.length > 0) {
      throw new ResultsConflictError(
        `${dir} holds results of a different configuration (differs in: ${differing.join(', ')})`,
        'pass --force to delete them and retrain, or choose another --experiment_id or --base_dir',
      );
    }
  }
  writeFileAtomic(file, `${JSON.stringify({ experiment_id: id, config }, null, 2)}\n`);
}

export const isRoundComplete = (trialDir: string, round: number): boolean =>
  existsSync(paths.roundSummary(paths.roundDir(trialDir, round)));

/** Write a finished round; summary.json goes last so that a killed write leaves the round incomplete. */
export function saveRound(trialDir: string, round: number, spec: ModelSpec, record: RoundRecord): void {
  const dir = paths.roundDir(trialDir, round);
  const kernels: [paths.KernelKind, LayerArrays][] = [
    ['init_kernels', record.initKernels], ['masks', record.masks], ['post_kernels', record.postKernels],
  ];
  for (const [kind, arrays] of kernels) {
    spec.layers.forEach((layer, i) => {
      writeFileAtomic(paths.kernelFile(dir, kind, layer.name), encodeNpy(arrays[i]!, [layer.fanIn, layer.fanOut]));
    });
  }
  // Rows that carry a step (schedules other than the default) get the step column last.
  const columns = (base: readonly string[], rows: readonly CsvRow[]) => (rows[0] && STEP_COLUMN in rows[0] ? [...base, STEP_COLUMN] : base);
  writeFileAtomic(paths.metricsFile(dir, 'train'), toCsv(columns(TRAIN_COLUMNS, record.train), record.train));
  writeFileAtomic(paths.metricsFile(dir, 'valid'), toCsv(columns(EVAL_COLUMNS, record.valid), record.valid));
  writeFileAtomic(paths.metricsFile(dir, 'test'), toCsv(columns(EVAL_COLUMNS, record.test), record.test));
  writeFileAtomic(paths.roundSummary(dir), `${JSON.stringify(record.summary, null, 2)}\n`);
}

export function loadKernels(trialDir: string, round: number, kind: paths.KernelKind, spec: ModelSpec): LayerArrays {
  const dir = paths.roundDir(trialDir, round);
  return spec.layers.map((layer) => {
    const { values, shape } = readNpy(paths.kernelFile(dir, kind, layer.name));
    if (shape[0] !== layer.fanIn || shape[1] !== layer.fanOut) {
      throw new ResultsConflictError(`${paths.kernelFile(dir, kind, layer.name)} has shape (${shape}), expected (${layer.fanIn}, ${layer.fanOut})`);
    }
    return values;
  });
}

export const loadSummary = (trialDir: string, round: number): RoundSummary =>
  JSON.parse(readFileSync(paths.roundSummary(paths.roundDir(trialDir, round)), 'utf8')) as RoundSummary;
