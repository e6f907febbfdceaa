/**
 * Jobs: one trial of one configuration each, the unit that workers run, leases guard and shards divide. Batches
 * are jobs that share a step program and train together as one computation.
 */
import { asGiven, type ExperimentConfig } from '../config.js';
import { ConfigError } from '../../errors.js';
import { trialDir } from '../../results/paths.js';
import { isRoundComplete } from '../../results/store.js';
import { modelSpec } from '../../nn/model.js';
import { stepProgramKey } from '../step-program.js';
import { roundsFor } from '../strategies.js';

/** One unit of work: one configuration, one trial. */
export interface Job {
  readonly index: number;
  readonly name: string;
  readonly config: ExperimentConfig;
  readonly trial: number;
  readonly experimentId: string;
  /** The configuration's results directory (results/paths.ts, configDir). */
  readonly dir: string;
}

/** The largest trial number: trial folders are trial_00 .. trial_99. */
export const MAX_TRIAL = 99;

/**
 * Trials first .. first + count - 1 (rsn train --trial_start and --trials, the library's firstTrial and
 * trialCount, runTrial's trial): `first` must be a whole number (a number, not a string) and the last trial at
 * most MAX_TRIAL; anything else is refused with the value as given.
 */
export function trialRange(first: unknown, count: unknown): number[] {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_TRIAL + 1) {
    throw new ConfigError(`--trials must be a whole number from 1 to ${MAX_TRIAL + 1}; got ${asGiven(count)}`);
  }
  if (typeof first !== 'number' || !Number.isInteger(first) || first < 0 || first + count - 1 > MAX_TRIAL) {
    throw new ConfigError(
      `--trial_start takes a whole number >= 0 with --trial_start + --trials <= ${MAX_TRIAL + 1}; got ${asGiven(first)}`,
      `trial folders are trial_00 .. trial_${MAX_TRIAL}`,
    );
  }
  return Array.from({ length: count }, (_, k) => first + k);
}

/** The jobs of one configuration's trials (rsn train, the library), named "trial N". */
export const trialJobs = (config: ExperimentConfig, experimentId: string, dir: string, trials: readonly number[]): Job[] =>
  trials.map((trial, index) => ({ index, name: `trial ${trial}`, config, trial, experimentId, dir }));

export const jobDir = (job: Job): string => trialDir(job.dir, job.trial);

export const jobRounds = (job: Job): number => roundsFor(job.config.experiment, job.config.prune_iters);

/** Is the job's last round on disk (its files are checked by results/verify.ts, not here)? */
export const isJobDone = (job: Job): boolean => isRoundComplete(jobDir(job), jobRounds(job) - 1, modelSpec(job.config.model));

/** Parse "i/n" (0 <= i < n), as given to --shard. */
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

/** Jobs trained together as one computation (--batch_trials): they share a step program. */
export interface Batch {
  readonly jobs: readonly Job[];
}

/**
 * Group jobs into batches that share a step program (core/experiment/step-program.ts), keeping the jobs' order
 * within each group; `size` is the most jobs to a batch (a number, or one per step program's configuration);
 * size 1 gives one batch per job.
 */
export function groupBatches(jobs: readonly Job[], size: number | ((config: ExperimentConfig) => number)): Batch[] {
  const sizeOf = typeof size === 'number' ? () => size : size;
  const groups = new Map<string, Job[]>();
  for (const job of jobs) {
    const key = stepProgramKey(job.config);
    groups.set(key, [...(groups.get(key) ?? []), job]);
  }
  const batches: Batch[] = [];
  for (const group of groups.values()) {
    const n = sizeOf(group[0]!.config);
    if (!Number.isInteger(n) || n < 1) {
      throw new ConfigError(`--batch_trials takes a whole number >= 1; got '${String(n)}'`, 'e.g. --batch_trials 5 trains five trials as one computation');
    }
    for (let k = 0; k < group.length; k += n) batches.push({ jobs: group.slice(k, k + n) });
  }
  return batches.sort((a, b) => a.jobs[0]!.index - b.jobs[0]!.index);
}
