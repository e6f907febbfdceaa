import type { Job } from '../core/experiment/jobs/job.js';
import { roundsFor } from '../core/experiment/strategies.js';
import { modelSpec } from '../core/nn/models/index.js';
import { trialDir } from '../core/results/paths.js';
import { isRoundComplete } from '../core/results/store.js';

/** A job's work in training steps: every round of its trial. */
export const jobSteps = (job: Job): number => roundsFor(job.config.experiment, job.config.prune_iters) * job.config.train_iters;

/** The steps of a job's rounds complete on disk (from round 0 on), which a resumed run does not train again. */
export function stepsOnDisk(job: Job): number {
  const rounds = roundsFor(job.config.experiment, job.config.prune_iters);
  const spec = modelSpec(job.config.model);
  let complete = 0;
  while (complete < rounds && isRoundComplete(trialDir(job.dir, job.trial), complete, spec)) complete++;
  return complete * job.config.train_iters;
}

/**
 * Steps done per job, for a progress bar: each job starts at its steps on disk, and a progress report moves it
 * on, never back (a report of a round found complete on disk lies below that start).
 */
export class StepsDone {
  private readonly byJob = new Map<number, number>();

  /** `fromDisk` false: every job starts at 0 (rsn train --force retrains the rounds on disk). */
  constructor(jobs: readonly Job[], fromDisk = true) {
    for (const job of jobs) this.byJob.set(job.index, fromDisk ? stepsOnDisk(job) : 0);
  }

  /** The job is at `round` (0-based), `iteration` steps into it. */
  report(job: Job, round: number, iteration: number): void {
    this.set(job, round * job.config.train_iters + iteration);
  }

  set(job: Job, steps: number): void {
    this.byJob.set(job.index, Math.max(this.byJob.get(job.index) ?? 0, steps));
  }

  get total(): number {
    return [...this.byJob.values()].reduce((a, b) => a + b, 0);
  }
}
