/**
 * Running experiments from a script: one configuration (all its trials) or one trial, with callbacks per
 * evaluation, per round and per training step. The same orchestration as `rsn train` (core/experiment/run.ts),
 * with the backend chosen by name and the results directory derived as the CLI derives it.
 *
 * Training runs synchronously inside the returned promise (the callbacks are called during it); results are on
 * disk when it resolves, in the layout of core/results/paths.ts.
 */
import { resolve } from 'node:path';
import { chooseBackend } from '../backends/registry.js';
import { setActiveBackend } from '../core/autodiff/engine.js';
import { DEFAULT_CONFIG, experimentId as deriveExperimentId, validateConfig, type ExperimentConfig } from '../core/experiment/config.js';
import type { EvaluationRecord } from '../core/experiment/evaluation-record.js';
import { cachedDataLoader, runConfiguration } from '../core/experiment/run.js';
import type { TrialProgress } from '../core/experiment/runner.js';
import { JsonlLog } from '../core/results/jsonl.js';
import { configDir } from '../core/results/paths.js';
import type { RoundSummary } from '../core/results/records.js';
import { backendDetails } from './provenance.js';

export interface RunExperimentOptions {
  /** Results root (default 'results', as `rsn train --base_dir`). */
  readonly baseDir?: string;
  /** Experiment folder name (default: derived from the settings, as the CLI does). */
  readonly experimentId?: string;
  /** Backend name (default: RSN_BACKEND, else the default backend; `rsn backends` lists them). */
  readonly backend?: string;
  /** Folder holding the IDX files; `download: false` never downloads. */
  readonly dataDir?: string;
  readonly download?: boolean;
  /** Trials firstTrial .. firstTrial + trialCount - 1 (default: 0 .. config.trials - 1). */
  readonly firstTrial?: number;
  readonly trialCount?: number;
  /**
   * Train this many trials at a time as one computation, their networks stacked (default 1; as
   * `rsn train --batch_trials`, whose `auto` the CLI resolves from the backend).
   */
  readonly batchTrials?: number;
  /** Delete this configuration's existing results first (default: resume after the completed rounds). */
  readonly force?: boolean;
  /** Append every evaluation to this JSON Lines file (as `rsn train --log_jsonl`). */
  readonly logJsonl?: string;
  readonly onEvaluation?: (record: EvaluationRecord) => void;
  readonly onRound?: (trial: number, summary: RoundSummary, skipped: boolean) => void;
  readonly onProgress?: (progress: TrialProgress) => void;
}

export interface ExperimentRun {
  /** The configuration's results directory (config.json, trial_XX/...). */
  readonly dir: string;
  readonly experimentId: string;
  readonly config: ExperimentConfig;
  readonly backend: string;
  /** The round summaries seen, per trial (rounds found complete on disk included). */
  readonly summaries: ReadonlyMap<number, readonly RoundSummary[]>;
}

/** Run (or resume) every trial of a configuration; fields not given take rsn train's defaults. */
export async function runExperiment(config: Partial<ExperimentConfig>, options: RunExperimentOptions = {}): Promise<ExperimentRun> {
  const full = validateConfig({ ...DEFAULT_CONFIG, ...config });
  const backend = await chooseBackend(options.backend);
  setActiveBackend(backend);
  const id = options.experimentId ?? deriveExperimentId(full);
  const dir = configDir(resolve(options.baseDir ?? 'results'), id, full);
  const summaries = new Map<number, RoundSummary[]>();
  const log = options.logJsonl !== undefined ? new JsonlLog(options.logJsonl) : undefined;
  try {
    await runConfiguration(full, {
      dir, experimentId: id, backend: backend.name, backendDetails: backendDetails(backend),
      loadData: cachedDataLoader({ dataDir: options.dataDir, download: options.download ?? true }),
      firstTrial: options.firstTrial, trialCount: options.trialCount, force: options.force, batchTrials: options.batchTrials,
      onProgress: options.onProgress,
      onEvaluation: (record) => {
        log?.append(record);
        options.onEvaluation?.(record);
      },
      onRound: (trial, summary, skipped) => {
        summaries.set(trial, [...(summaries.get(trial) ?? []), summary]);
        options.onRound?.(trial, summary, skipped);
      },
    });
  } finally {
    log?.close();
  }
  return { dir, experimentId: id, config: full, backend: backend.name, summaries };
}

/** Run (or resume) one trial of a configuration. */
export const runTrial = (config: Partial<ExperimentConfig>, trial: number, options: Omit<RunExperimentOptions, 'firstTrial' | 'trialCount'> = {}): Promise<ExperimentRun> =>
  runExperiment(config, { ...options, firstTrial: trial, trialCount: 1 });
