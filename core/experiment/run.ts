/**
 * Running a configuration: load and prepare its data, claim its results directory, run (or resume) its trials.
 * The one orchestration behind `rsn train` and the workers of `rsn bench`.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { loadDataset, type Dataset, type LoadOptions } from '../data/index.js';
import type { RoundSummary } from '../results/records.js';
import { legacyConfigDir } from '../results/paths.js';
import { claimConfigDir, ResultsConflictError } from '../results/store.js';
import type { ExperimentConfig } from './config.js';
import { prepareData } from './prepare.js';
import type { PreparedData } from './round.js';
import { runTrials, type TrialProgress } from './runner.js';
import type { EvaluationRecord } from './evaluation-record.js';

/** The prepared sets of a configuration. */
export type DataLoader = (config: ExperimentConfig) => Promise<PreparedData>;

/**
 * A DataLoader that reads each data set once and prepares each (data set, split sizes, label smoothing) once:
 * a worker that runs many configurations loads the files once.
 */
export function cachedDataLoader(options: LoadOptions = {}, onLoaded?: (dataset: Dataset) => void): DataLoader {
  const datasets = new Map<string, Promise<Dataset>>();
  const prepared = new Map<string, Promise<PreparedData>>();
  return (config) => {
    const key = `${config.dataset}/${config.valid_size}/${config.test_size}/${config.label_smoothing}`;
    let data = prepared.get(key);
    if (!data) {
      let dataset = datasets.get(config.dataset);
      if (!dataset) {
        dataset = loadDataset(config.dataset, options).then((d) => {
          onLoaded?.(d);
          return d;
        });
        datasets.set(config.dataset, dataset);
      }
      data = dataset.then((d) => prepareData(d, config));
      prepared.set(key, data);
    }
    return data;
  };
}

export interface RunOptions {
  /** The configuration's results directory (results/paths.ts, configDir). */
  readonly dir: string;
  readonly experimentId: string;
  /** The name of the active backend, recorded in each trial's manifest. */
  readonly backend: string;
  readonly loadData: DataLoader;
  /** Trials first .. first + count - 1 (default: 0 .. config.trials - 1). */
  readonly firstTrial?: number;
  readonly trialCount?: number;
  /** Train this many trials at a time as one computation (default 1: one after another). */
  readonly batchTrials?: number;
  /** Delete the directory's results first. */
  readonly force?: boolean;
  readonly onProgress?: (progress: TrialProgress) => void;
  /** After each round is saved, and for each completed round found on disk (skipped = true). */
  readonly onRound?: (trial: number, summary: RoundSummary, skipped: boolean, member: number) => void;
  /** After each evaluation of a round being trained (core/experiment/evaluation-record.ts). */
  readonly onEvaluation?: (record: EvaluationRecord) => void;
  /** Backend details recorded in each new trial manifest (BLAS build, tfjs backend, adapter). */
  readonly backendDetails?: Readonly<Record<string, string | number | boolean>>;
}

/** Results of this configuration under the folder name older versions wrote must be moved, not silently redone. */
function refuseLegacyResults(dir: string, config: ExperimentConfig): void {
  const legacy = legacyConfigDir(dir, config);
  if (legacy !== dir && existsSync(legacy) && !existsSync(dir)) {
    throw new ResultsConflictError(
      `results of this configuration are in ${legacy}, a folder name of older rsn versions (the original writes ${basename(dir)})`,
      `move them to the original's name and run again: mv '${legacy}' '${dir}'`,
    );
  }
}

/** Load the data, claim the directory (results/store.ts), then run or resume each trial, batchTrials at a time. */
export async function runConfiguration(config: ExperimentConfig, options: RunOptions): Promise<void> {
  refuseLegacyResults(options.dir, config);
  await options.loadData(config);
  // Claimed (and with force, emptied) once, before any trial runs: the batches below only check the claim.
  claimConfigDir(options.dir, options.experimentId, config, options.force ?? false);
  const first = options.firstTrial ?? 0;
  const count = options.trialCount ?? config.trials;
  const size = options.batchTrials ?? 1;
  const trials = Array.from({ length: count }, (_, k) => first + k);
  for (let k = 0; k < trials.length; k += size) {
    const batch = trials.slice(k, k + size).map((trial) => ({ config, dir: options.dir, experimentId: options.experimentId, trial }));
    await runBatch(batch, { ...options, force: false });
  }
}

/** One trial of a configuration, for runBatch. */
export interface TrialJob {
  readonly config: ExperimentConfig;
  /** The configuration's results directory (results/paths.ts, configDir). */
  readonly dir: string;
  readonly experimentId: string;
  readonly trial: number;
}

/**
 * Run (or resume) trials of one or more configurations that share a step program together, as one computation
 * (core/experiment/runner.ts, runTrials): load each configuration's data, claim its directory, then train.
 */
export async function runBatch(jobs: readonly TrialJob[], options: Omit<RunOptions, 'dir' | 'experimentId' | 'firstTrial' | 'trialCount' | 'batchTrials'>): Promise<void> {
  const members = [];
  const claimed = new Set<string>();
  for (const job of jobs) {
    refuseLegacyResults(job.dir, job.config);
    const data = await options.loadData(job.config);
    if (!claimed.has(job.dir)) claimConfigDir(job.dir, job.experimentId, job.config, options.force ?? false);
    claimed.add(job.dir);
    members.push({ config: job.config, data, trial: job.trial, configDir: job.dir, experimentId: job.experimentId });
  }
  await runTrials(members, {
    backend: options.backend, backendDetails: options.backendDetails,
    onProgress: options.onProgress, onRound: options.onRound, onEvaluation: options.onEvaluation,
  });
}
