/**
 * A worker's side of running jobs: its data, loaded once, and a batch of trials trained as one computation. The
 * orchestration above it (plan.ts, orchestrate.ts) has checked everything and claimed the folders; the pool holds
 * each trial's lease while this writes it.
 */
import { loadDataset, type Dataset, type DatasetName, type LoadOptions } from '../data/index.js';
import type { RoundSummary } from '../results/records.js';
import type { ExperimentConfig } from './config.js';
import { prepareData } from './prepare.js';
import type { PreparedData } from './round.js';
import { runTrials, type TrialProgress } from './runner.js';
import type { EvaluationRecord } from './evaluation-record.js';

/** The prepared sets of a configuration. */
export type DataLoader = (config: ExperimentConfig) => Promise<PreparedData>;

/**
 * Data sets read once and prepared once per (data set, split sizes, label smoothing): a worker that runs many
 * configurations loads the files once.
 */
export class DataCache {
  private readonly datasets = new Map<DatasetName, Promise<Dataset>>();
  private readonly prepared = new Map<string, Promise<PreparedData>>();

  constructor(private readonly options: LoadOptions = {}, private readonly onLoaded?: (dataset: Dataset) => void) {}

  /** The data set, read and checked (checksums, shapes) on first use. */
  dataset(name: DatasetName): Promise<Dataset> {
    let dataset = this.datasets.get(name);
    if (!dataset) {
      dataset = loadDataset(name, this.options).then((d) => {
        this.onLoaded?.(d);
        return d;
      });
      this.datasets.set(name, dataset);
    }
    return dataset;
  }

  /** The configuration's prepared sets (validation split, label smoothing, test subset). */
  readonly load: DataLoader = (config) => {
    const key = `${config.dataset}/${config.valid_size}/${config.test_size}/${config.label_smoothing}`;
    let data = this.prepared.get(key);
    if (!data) {
      data = this.dataset(config.dataset).then((d) => prepareData(d, config));
      this.prepared.set(key, data);
    }
    return data;
  };
}

/** A DataLoader over a DataCache of its own (a caller that needs only the prepared sets). */
export const cachedDataLoader = (options: LoadOptions = {}, onLoaded?: (dataset: Dataset) => void): DataLoader => new DataCache(options, onLoaded).load;

/** One trial of a configuration, for runBatch. */
export interface TrialJob {
  readonly config: ExperimentConfig;
  /** The configuration's results directory (results/paths.ts, configDir), claimed by the caller. */
  readonly dir: string;
  readonly experimentId: string;
  readonly trial: number;
}

export interface BatchRunOptions {
  /** The name of the active backend, recorded in each trial's manifest and each round's entry there. */
  readonly backend: string;
  readonly loadData: DataLoader;
  /** Backend details recorded in each new trial manifest (BLAS build, tfjs backend, adapter). */
  readonly backendDetails?: Readonly<Record<string, string | number | boolean>>;
  readonly onProgress?: (progress: TrialProgress) => void;
  /** After each round is saved, and for each completed round found on disk (skipped = true). */
  readonly onRound?: (trial: number, summary: RoundSummary, skipped: boolean, member: number) => void;
  /** After each evaluation of a round being trained (core/experiment/evaluation-record.ts). */
  readonly onEvaluation?: (record: EvaluationRecord) => void;
  /** Why a round's sets stay on the host where the backend could keep them on the device. */
  readonly onNotice?: (message: string) => void;
}

/**
 * Run (or resume) trials of one or more configurations that share a step program together, as one computation
 * (core/experiment/runner.ts, runTrials).
 */
export async function runBatch(jobs: readonly TrialJob[], options: BatchRunOptions): Promise<void> {
  const members = [];
  for (const job of jobs) {
    const data = await options.loadData(job.config);
    members.push({ config: job.config, data, trial: job.trial, configDir: job.dir, experimentId: job.experimentId });
  }
  await runTrials(members, {
    backend: options.backend, backendDetails: options.backendDetails,
    onProgress: options.onProgress, onRound: options.onRound, onEvaluation: options.onEvaluation, onNotice: options.onNotice,
  });
}
