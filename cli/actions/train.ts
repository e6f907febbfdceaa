import type { Command } from 'commander';
import { WORKER_ENTRY } from '../../api/workers.js';
import { checkBackendChoice } from '../../backends/registry.js';
import { experimentId } from '../../core/experiment/config.js';
import { jobRounds, trialJobs, trialRange } from '../../core/experiment/jobs/job.js';
import { parseBatchTrials } from '../../core/experiment/jobs/batch-size.js';
import { runPlan } from '../../core/experiment/orchestrate.js';
import { planRun } from '../../core/experiment/plan.js';
import { LeaseHeldError, RsnError } from '../../core/errors.js';
import { checkBaseDir } from '../../core/results/base-dir.js';
import { describeHolder } from '../../core/results/lease.js';
import { checkExperimentId, configDir, trialDir } from '../../core/results/paths.js';
import { isRoundComplete } from '../../core/results/store.js';
import { modelSpec, type ModelSpec } from '../../core/nn/model.js';
import { InterruptedError, resumeCommand, signalExitCode, withInterrupts } from '../interrupt.js';
import { configFromOptions, flagsGiven } from '../options.js';
import { jobSteps, StepsDone } from '../job-work.js';
import { formatDuration, ProgressBar } from '../progress.js';
import { labelled, wrap } from '../wrap.js';

const pct = (v: number) => (100 * v).toFixed(2);

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

/**
 * `rsn train`: one configuration, `trials` trials, every pruning round, results under --base_dir, through the one
 * orchestration path (core/experiment/plan.ts, orchestrate.ts) with one worker process.
 */
export async function train(options: Record<string, unknown>, command: Command): Promise<void> {
  // Everything that can be checked without the backend and the data, before anything is written.
  const config = configFromOptions(options, {}, flagsGiven(command));
  const trials = trialRange(options.trial_start, config.trials);
  const batchTrials = parseBatchTrials(options.batch_trials);
  const baseDir = checkBaseDir(options.base_dir as string);
  const id = options.experiment_id !== undefined ? checkExperimentId(options.experiment_id as string) : experimentId(config);
  const dir = configDir(baseDir, id, config);
  const named = checkBackendChoice(options.backend as string | undefined);
  const jobs = trialJobs(config, id, dir, trials);
  const plan = planRun({
    jobs, backend: options.backend as string | undefined, dataDir: options.data_dir as string | undefined, download: options.no_download !== true,
    force: Boolean(options.force), allowMixedBackends: Boolean(options.allow_mixed_backends), batchTrials, workers: 1,
    logJsonl: options.log_jsonl as string | undefined, evaluations: false,
  });

  const rounds = jobRounds(jobs[0]!);
  const header = (backend: string, together: number) => {
    process.stderr.write(`rsn train: ${config.dataset} ${config.experiment} attack=${config.attack} adv_train=${config.adv_train} backend=${backend}\n`);
    if (together > 1) process.stderr.write(`training ${together} trials at a time as one computation (--batch_trials)\n`);
    process.stderr.write(`${labelled('results:', dir)}\n(stopping is safe: completed rounds are kept; the same command resumes)\n`);
    for (const job of plan.done) process.stderr.write(`trial ${job.trial}: complete on disk (rounds 0-${rounds - 1}), kept\n`);
  };
  if (plan.pending.length === 0) header(named, 1);
  const bar = new ProgressBar(Math.max(1, plan.pending.reduce((n, job) => n + jobSteps(job), 0)));
  // Rounds complete on disk count as done from the start (--force retrains them), so that the ETA measures only
  // the work this run does.
  const steps = new StepsDone(plan.pending, !options.force);
  const { result, signal } = await withInterrupts((abort) => runPlan(plan, WORKER_ENTRY, {
    onStart: (start) => header(start.backend, start.together),
    onProgress: (p) => {
      for (const job of p.jobs) steps.report(job, p.round, p.iteration);
      bar.update(steps.total, `${trialNames(p.jobs.map((j) => j.trial))} round ${p.round}/${rounds - 1} iter ${p.iteration}/${p.trainIters}`);
    },
    onLog: (text) => {
      bar.done();
      process.stderr.write(`${wrap(text, undefined, '', '  ')}\n`);
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

  if (signal !== undefined || result.interrupted.length > 0 || result.stoppedEarly) {
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
  process.stderr.write(`${labelled('done:', dir)}\n`);
}
