import type { Command } from 'commander';
import { resolve } from 'node:path';
import { runPool } from '../../benchmarks/paper/pool.js';
import { groupBatches, isJobDone, type Job } from '../../benchmarks/paper/jobs.js';
import { autoBatchTrials, parseBatchTrials } from '../../benchmarks/paper/batch-size.js';
import { experimentId, ignoredFields, type ExperimentConfig } from '../../core/experiment/config.js';
import { ConfigError, LeaseHeldError, RsnError } from '../../core/errors.js';
import { prepareBaseDir } from '../../core/results/base-dir.js';
import { JsonlLog } from '../../core/results/jsonl.js';
import { describeHolder, isLeased, readHolder } from '../../core/results/lease.js';
import { checkExperimentId, configDir, trialDir } from '../../core/results/paths.js';
import { claimConfigDir, isRoundComplete } from '../../core/results/store.js';
import { roundsFor } from '../../core/experiment/strategies.js';
import { modelSpec, type ModelSpec } from '../../core/nn/models/index.js';
import { chooseBackend } from '../../backends/registry.js';
import { InterruptedError, resumeCommand, signalExitCode, withInterrupts } from '../interrupt.js';
import { configFromOptions } from '../options.js';
import { formatDuration, ProgressBar } from '../progress.js';

const pct = (v: number) => (100 * v).toFixed(2);

/** A trial needs at least this many; more would not fit the trial_XX folder names. */
const MAX_TRIAL = 99;

/** Flags the chosen strategy never reads are refused when given explicitly (they would change nothing). */
function rejectIgnoredFlags(command: Command, config: ExperimentConfig): void {
  for (const key of ignoredFields(config.experiment)) {
    if (command.getOptionValueSource(key) !== 'cli') continue;
    const why = key === 'prune_iters' ? 'trains one dense round and never prunes' : 'never resets weights (only reinit_orig does)';
    throw new ConfigError(`--${key} has no effect with --experiment ${config.experiment}, which ${why}`, `leave out --${key}`);
  }
}

/** "trial 3", "trials 0-4" (consecutive) or "trials 1, 3, 4". */
export function trialNames(trials: readonly number[]): string {
  if (trials.length === 1) return `trial ${trials[0]}`;
  const consecutive = trials.every((t, k) => k === 0 || t === trials[k - 1]! + 1);
  return consecutive ? `trials ${trials[0]}-${trials[trials.length - 1]}` : `trials ${trials.join(', ')}`;
}

/** "rounds 0-3 of 0-20" for each trial, from what is on disk. */
function keptRounds(dir: string, trials: readonly number[], rounds: number, spec: ModelSpec): string[] {
  return trials.map((t) => {
    let complete = 0;
    while (complete < rounds && isRoundComplete(trialDir(dir, t), complete, spec)) complete++;
    const kept = complete === 0 ? 'no completed round' : complete === 1 ? 'round 0 complete' : `rounds 0-${complete - 1} complete`;
    return `trial ${t}: ${kept} (of 0-${rounds - 1})`;
  });
}

/** `rsn train`: one configuration, `trials` trials, every pruning round, results under --base_dir. */
export async function train(options: Record<string, unknown>, command: Command): Promise<void> {
  // Everything the user can get wrong is checked before the backend and the data load.
  const config = configFromOptions(options);
  rejectIgnoredFlags(command, config);
  const first = options.trial_start as number;
  if (!Number.isInteger(first) || first < 0 || first + config.trials - 1 > MAX_TRIAL) {
    throw new ConfigError(`--trial_start takes a whole number >= 0 with --trial_start + --trials <= ${MAX_TRIAL + 1}; got '${String(options.trial_start)}'`);
  }
  const batchTrials = parseBatchTrials(options.batch_trials);
  const baseDir = prepareBaseDir(options.base_dir as string);
  const id = options.experiment_id !== undefined ? checkExperimentId(options.experiment_id as string) : experimentId(config);
  const dir = configDir(baseDir, id, config);
  const trials = Array.from({ length: config.trials }, (_, k) => first + k);
  if (options.force) {
    const running = trials.map((t) => trialDir(dir, t)).filter((t) => isLeased(t));
    if (running.length > 0) {
      throw new LeaseHeldError(
        `--force would delete ${dir}, but ${running.map((t) => `${t} is being run by ${describeHolder(readHolder(t)!)}`).join('; ')}`,
        'stop that run first, or wait for it to finish',
      );
    }
  }
  claimConfigDir(dir, id, config, Boolean(options.force));
  const backend = await chooseBackend(options.backend as string | undefined);
  const backendName = backend.name;
  const jobs: Job[] = trials.map((trial, index) => ({ index, name: `trial ${trial}`, config, trial, experimentId: id, dir }));
  const pending = jobs.filter((job) => !isJobDone(job));
  const together = Math.min(Math.max(1, pending.length), batchTrials === 'auto' ? autoBatchTrials(config, backend) : batchTrials);
  backend.close?.();

  process.stderr.write(`rsn train: ${config.dataset} ${config.experiment} attack=${config.attack} adv_train=${config.adv_train} backend=${backendName}\n`);
  if (together > 1) process.stderr.write(`training ${together} trials at a time as one computation (--batch_trials)\n`);
  process.stderr.write(`results: ${dir}\n(stopping is safe: completed rounds are kept, and the same command resumes after them)\n`);

  const rounds = roundsFor(config.experiment, config.prune_iters);
  for (const job of jobs) if (!pending.includes(job)) process.stderr.write(`trial ${job.trial}: complete on disk (rounds 0-${rounds - 1}), kept\n`);
  const bar = new ProgressBar(Math.max(1, pending.length) * rounds * config.train_iters);
  // The worker appends to the log; opening it here first makes a path it cannot write an error before training.
  const logJsonl = options.log_jsonl !== undefined ? resolve(options.log_jsonl as string) : undefined;
  if (logJsonl !== undefined) new JsonlLog(logJsonl).close();
  const progressOf = new Map<number, number>();
  const { result, signal } = await withInterrupts((abort) => runPool(groupBatches(pending, together), 1, {
    backend: backendName, dataDir: options.data_dir as string | undefined, download: options.no_download !== true,
    logJsonl,
  }, {
    onProgress: (p) => {
      for (const job of p.jobs) progressOf.set(job.index, p.round * config.train_iters + p.iteration);
      const done = [...progressOf.values()].reduce((a, b) => a + b, 0);
      bar.update(done, `${trialNames(p.jobs.map((j) => j.trial))} round ${p.round}/${rounds - 1} iter ${p.iteration}/${p.trainIters}`);
    },
    onLog: (_job, text) => {
      bar.done();
      process.stderr.write(`${text}\n`);
    },
    onRound: (job, s, skipped) => {
      bar.done();
      process.stderr.write(
        `trial ${job.trial} round ${s.round}: ${s.percent_remaining.toFixed(1)}% remaining, test acc ${pct(s.final.test.acc)}%, ` +
          `${config.attack} acc ${pct(s.final.test.adv_acc)}%${skipped ? ' (already done)' : ` (${formatDuration(s.wall_seconds)})`}\n`,
      );
    },
    onAlreadyDone: (job) => {
      bar.done();
      process.stderr.write(`trial ${job.trial}: completed by another process meanwhile\n`);
    },
    onHeld: (job, holder) => {
      bar.done();
      process.stderr.write(`trial ${job.trial}: skipped, it is being run by ${describeHolder(holder)}\n`);
    },
  }, { signal: abort }));
  bar.done();

  if (signal !== undefined || result.interrupted.length > 0) {
    throw new InterruptedError(
      `interrupted (${signal ?? 'worker stopped by a signal'}); kept in ${dir}:\n  ${keptRounds(dir, trials, rounds, modelSpec(config.model)).join('\n  ')}\n` +
        `resume with:\n  ${resumeCommand(process.argv.slice(2))}`,
      signalExitCode(signal ?? 'SIGINT'),
    );
  }
  if (result.failed.length > 0) throw new RsnError(result.failed.map((f) => `${f.job.name}: ${f.message}`).join('\n'));
  if (result.held.length > 0) {
    throw new LeaseHeldError(
      `${result.held.map((h) => `trial ${h.job.trial}`).join(', ')} of ${dir} ${result.held.length === 1 ? 'is' : 'are'} being run by another process (named above); rsn left ${result.held.length === 1 ? 'it' : 'them'} untouched`,
      'run the same command again once that run has finished: completed rounds are kept, and a run whose holder died is taken over after RSN_LEASE_STALE_S (default 60) seconds',
    );
  }
  process.stderr.write(`done: ${dir}\n`);
}
