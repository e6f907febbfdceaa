/**
 * Running experiments from a script: one configuration (all its trials) or one trial, with callbacks per
 * evaluation, per round and per training step. The same orchestration path as `rsn train`
 * (core/experiment/plan.ts, orchestrate.ts): the same checks with the same messages, nothing written before they
 * pass, the folder claimed once, every trial written under its lease by a worker process that loads the backend
 * and the data once.
 *
 * The returned promise resolves once training is done (the callbacks are called during it, as the worker
 * reports); results are then on disk, in the layout of core/results/paths.ts.
 */
import { checkBackendChoice } from '../backends/registry.js';
import { asGiven, configFromSettings, experimentId as deriveExperimentId, type ExperimentConfig } from '../core/experiment/config.js';
import type { EvaluationRecord } from '../core/experiment/evaluation-record.js';
import { parseBatchTrials } from '../core/experiment/jobs/batch-size.js';
import { jobRounds, trialJobs, trialRange } from '../core/experiment/jobs/job.js';
import { runPlan } from '../core/experiment/orchestrate.js';
import { planRun } from '../core/experiment/plan.js';
import type { TrialProgress } from '../core/experiment/runner.js';
import { modelSpec } from '../core/nn/model.js';
import { ConfigError, LeaseHeldError, RsnError } from '../core/errors.js';
import { checkBaseDir } from '../core/results/base-dir.js';
import { describeHolder } from '../core/results/lease.js';
import { checkExperimentId, configDir, trialDir } from '../core/results/paths.js';
import type { RoundSummary } from '../core/results/records.js';
import { isRoundComplete, loadSummary } from '../core/results/store.js';
import { WORKER_ENTRY } from './workers.js';

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
  /** Trials firstTrial .. firstTrial + trialCount - 1 (default: 0 .. config.trials - 1), as --trial_start and --trials. */
  readonly firstTrial?: number;
  readonly trialCount?: number;
  /**
   * Train this many trials at a time as one computation, their networks stacked (default 1), or 'auto' (as
   * `rsn train --batch_trials`: 1 on CPU backends, as many as fit on a GPU).
   */
  readonly batchTrials?: number | 'auto';
  /** Delete this configuration's existing results first (default: resume after the completed rounds). */
  readonly force?: boolean;
  /** Resume a trial on another backend than its kept rounds' (as --allow_mixed_backends; default: refused). */
  readonly allowMixedBackends?: boolean;
  /** Append every evaluation to this JSON Lines file (as `rsn train --log_jsonl`). */
  readonly logJsonl?: string;
  readonly onEvaluation?: (record: EvaluationRecord) => void;
  /** After each round is saved, and for each completed round found on disk (skipped = true). */
  readonly onRound?: (trial: number, summary: RoundSummary, skipped: boolean) => void;
  /** Training progress, every 10 iterations and at each evaluation; members: positions among this run's trials. */
  readonly onProgress?: (progress: TrialProgress) => void;
  /** Aborting stops the run as Ctrl-C stops rsn train: completed rounds are kept, and the same call resumes. */
  readonly signal?: AbortSignal;
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

/** Each option, its kind, and the rsn train flag it stands for (named in messages). */
const OPTIONS: Readonly<Record<keyof RunExperimentOptions, 'string' | 'boolean' | 'function' | 'number' | 'batch' | 'signal'>> = {
  baseDir: 'string', experimentId: 'string', backend: 'string', dataDir: 'string', download: 'boolean', firstTrial: 'number', trialCount: 'number',
  batchTrials: 'batch', force: 'boolean', allowMixedBackends: 'boolean', logJsonl: 'string',
  onEvaluation: 'function', onRound: 'function', onProgress: 'function', signal: 'signal',
};

/** Refuse options that are unknown or of the wrong kind (numbers and batch sizes are checked where they are used). */
function checkOptions(options: unknown): RunExperimentOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new ConfigError(`the options must be an object; got ${asGiven(options)}`);
  for (const [key, value] of Object.entries(options)) {
    const kind = OPTIONS[key as keyof RunExperimentOptions];
    if (kind === undefined) throw new ConfigError(`unknown option '${key}'`, `the options are: ${Object.keys(OPTIONS).join(', ')}`);
    if (value === undefined || kind === 'number' || kind === 'batch') continue;
    const ok = kind === 'signal' ? value instanceof AbortSignal : typeof value === kind;
    if (!ok) throw new ConfigError(`option ${key} must be ${kind === 'signal' ? 'an AbortSignal' : `a ${kind}`}; got ${asGiven(value)}`);
  }
  return options as RunExperimentOptions;
}

/** Run (or resume) every trial of a configuration; fields not given take rsn train's defaults. */
export async function runExperiment(config: Partial<ExperimentConfig>, options: RunExperimentOptions = {}): Promise<ExperimentRun> {
  // The checks of rsn train, with its messages, before anything is written.
  const opts = checkOptions(options);
  const full = configFromSettings(config);
  const trials = trialRange(opts.firstTrial ?? 0, opts.trialCount ?? full.trials);
  const batchTrials = parseBatchTrials(opts.batchTrials ?? 1);
  const baseDir = checkBaseDir(opts.baseDir ?? 'results');
  const id = opts.experimentId !== undefined ? checkExperimentId(opts.experimentId) : deriveExperimentId(full);
  const dir = configDir(baseDir, id, full);
  const named = checkBackendChoice(opts.backend);
  const jobs = trialJobs(full, id, dir, trials);
  const plan = planRun({
    jobs, backend: opts.backend, dataDir: opts.dataDir, download: opts.download ?? true, force: opts.force ?? false,
    allowMixedBackends: opts.allowMixedBackends ?? false, batchTrials, workers: 1, logJsonl: opts.logJsonl, evaluations: opts.onEvaluation !== undefined,
  });

  const summaries = new Map<number, RoundSummary[]>();
  const seen = (trial: number, summary: RoundSummary, skipped: boolean) => {
    summaries.set(trial, [...(summaries.get(trial) ?? []), summary]);
    opts.onRound?.(trial, summary, skipped);
  };
  for (const job of plan.done) {
    const spec = modelSpec(job.config.model);
    for (let round = 0; round < jobRounds(job); round++) if (isRoundComplete(trialDir(dir, job.trial), round, spec)) seen(job.trial, loadSummary(trialDir(dir, job.trial), round), true);
  }
  const result = await runPlan(plan, WORKER_ENTRY, {
    onRound: (job, summary, skipped) => seen(job.trial, summary, skipped),
    onEvaluation: (_job, record) => opts.onEvaluation?.(record),
    onProgress: (p) => opts.onProgress?.({
      trial: p.job.trial, round: p.round, rounds: p.rounds, iteration: p.iteration, trainIters: p.trainIters, phase: p.phase,
      members: p.jobs.map((j) => trials.indexOf(j.trial)),
    }),
  }, { signal: opts.signal });

  if (result.stoppedEarly || result.interrupted.length > 0) {
    throw new RsnError(`stopped by the abort signal; completed rounds are kept in ${dir}`, 'run the same call again: it resumes after them');
  }
  if (result.failed.length > 0) throw new RsnError(result.failed.map((f) => `${f.job.name}: ${f.message}`).join('\n'));
  if (result.held.length > 0) {
    throw new LeaseHeldError(
      `${result.held.map((h) => `trial ${h.job.trial} of ${dir} is being run by ${describeHolder(h.holder)}`).join('; ')}; rsn left ${result.held.length === 1 ? 'it' : 'them'} untouched`,
      'run the same call again once that run has finished: completed rounds are kept, and a run whose holder died is taken over after RSN_LEASE_STALE_S (default 60) seconds',
    );
  }
  return { dir, experimentId: id, config: full, backend: result.backend ?? named, summaries };
}

/** Run (or resume) one trial of a configuration. */
export const runTrial = (config: Partial<ExperimentConfig>, trial: number, options: Omit<RunExperimentOptions, 'firstTrial' | 'trialCount'> = {}): Promise<ExperimentRun> =>
  runExperiment(config, { ...checkOptions(options), firstTrial: trial, trialCount: 1 });
