import { DEFAULT_CONFIG, experimentId, validateConfig, type ExperimentConfig } from '../../core/experiment/config.js';
import { configDir, trialDir } from '../../core/results/paths.js';
import { isRoundComplete } from '../../core/results/store.js';
import { modelSpec } from '../../core/nn/models/index.js';
import { roundsFor } from '../../core/experiment/strategies.js';
import { stepProgramKey } from '../../core/experiment/step-program.js';
import { ConfigError } from '../../core/errors.js';
import type { SuiteAxes } from './presets.js';

/** One unit of work: one configuration, one trial. */
export interface Job {
  readonly index: number;
  readonly name: string;
  readonly config: ExperimentConfig;
  readonly trial: number;
  readonly experimentId: string;
  readonly dir: string;
}

/** Expand the suite into jobs, in a fixed order (dataset, attack, training, strategy, trial). */
export function expandJobs(axes: SuiteAxes, shared: Partial<ExperimentConfig>, baseDir: string, givenId?: string): Job[] {
  const jobs: Job[] = [];
  for (const dataset of axes.datasets) {
    for (const attack of axes.attacks) {
      for (const adv_train of axes.advTrain) {
        for (const experiment of axes.strategies) {
          const config = validateConfig({ ...DEFAULT_CONFIG, ...shared, dataset, attack, adv_train, experiment });
          const id = givenId ?? experimentId(config);
          const dir = configDir(baseDir, id, config);
          for (let trial = 0; trial < config.trials; trial++) {
            const name = `${dataset}/${attack}/${adv_train ? 'adversarial' : 'normal'}/${experiment}/trial_${String(trial).padStart(2, '0')}`;
            jobs.push({ index: jobs.length, name, config, trial, experimentId: id, dir });
          }
        }
      }
    }
  }
  return jobs;
}

/** Parse "i/n" (0 <= i < n). */
export function parseShard(text: string): { index: number; count: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || count < 1 || index >= count) {
    throw new ConfigError(`--shard takes i/n with 0 <= i < n; got '${text}'`, 'e.g. --shard 0/4 for the first of four machines ($SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)');
  }
  return { index, count };
}

/** A deterministic slice: job k belongs to shard k mod n, so shards are disjoint and cover the suite. */
export const selectShard = (jobs: readonly Job[], shard: { index: number; count: number }): Job[] =>
  jobs.filter((j) => j.index % shard.count === shard.index);

export function isJobDone(job: Job): boolean {
  const rounds = roundsFor(job.config.experiment, job.config.prune_iters);
  return isRoundComplete(trialDir(job.dir, job.trial), rounds - 1, modelSpec(job.config.model));
}

/** Jobs trained together as one computation (rsn train/bench --batch_trials): they share a step program. */
export interface Batch {
  readonly jobs: readonly Job[];
}

/**
 * Group jobs into batches of at most `size` that share a step program (core/experiment/step-program.ts), keeping
 * the jobs' order within each group; size 1 gives one batch per job.
 */
export function groupBatches(jobs: readonly Job[], size: number): Batch[] {
  if (!Number.isInteger(size) || size < 1) {
    throw new ConfigError(`--batch_trials takes a whole number >= 1; got '${String(size)}'`, 'e.g. --batch_trials 5 trains five trials as one computation');
  }
  const groups = new Map<string, Job[]>();
  for (const job of jobs) {
    const key = stepProgramKey(job.config);
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  const batches: Batch[] = [];
  for (const group of groups.values()) {
    for (let k = 0; k < group.length; k += size) batches.push({ jobs: group.slice(k, k + size) });
  }
  return batches.sort((a, b) => a.jobs[0]!.index - b.jobs[0]!.index);
}
