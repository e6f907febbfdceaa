/**
 * What a suite costs on this machine and backend, before its first step: one short calibration per distinct cost
 * key among its jobs (core/experiment/calibrate.ts), then every job priced round by round (core/experiment/cost.ts).
 */
import { setActiveBackend } from '../../core/autodiff/engine.js';
import type { Backend } from '../../core/autodiff/backend.js';
import { calibrate, calibrationSize, cpuClock, DEFAULT_CALIBRATION, wallClock, type CalibrationOptions } from '../../core/experiment/calibrate.js';
import { costKey, jobRoundSeconds, roundWork, sampleRounds, wallSeconds, type CostPoint } from '../../core/experiment/cost.js';
import { roundsFor } from '../../core/experiment/strategies.js';
import { modelSpec } from '../../core/nn/models/index.js';
import { trialDir } from '../../core/results/paths.js';
import { isRoundComplete } from '../../core/results/store.js';
import type { Job } from '../../core/experiment/jobs/job.js';

export interface JobEstimate {
  readonly job: Job;
  /** Seconds of each of its rounds on one core. */
  readonly rounds: readonly number[];
  readonly seconds: number;
}

export interface SuiteEstimate {
  readonly backend: string;
  readonly jobs: readonly JobEstimate[];
  /** Core-seconds of all the jobs. */
  readonly seconds: number;
  /** How long the calibration took. */
  readonly calibrationSeconds: number;
}

/** One job per cost key: the one with the most rounds, so that its calibration samples every round the others have. */
function representatives(jobs: readonly Job[]): Map<string, Job> {
  const out = new Map<string, Job>();
  for (const job of jobs) {
    const key = costKey(job.config);
    const held = out.get(key);
    const rounds = (j: Job) => roundsFor(j.config.experiment, j.config.prune_iters);
    if (!held || rounds(job) > rounds(held)) out.set(key, job);
  }
  return out;
}

/** Training steps a calibration of these jobs takes (to weigh it against the suite's own). */
export function calibrationSteps(jobs: readonly Job[], options: CalibrationOptions = DEFAULT_CALIBRATION): number {
  let steps = 0;
  for (const job of representatives(jobs).values()) {
    const size = calibrationSize(job.config, options);
    steps += sampleRounds(roundWork(job.config).map((w) => w.fraction)).length * (size.steps + size.warmupSteps);
  }
  return steps;
}

/** Training steps of the jobs themselves. */
export const suiteSteps = (jobs: readonly Job[]): number =>
  jobs.reduce((n, j) => n + roundsFor(j.config.experiment, j.config.prune_iters) * j.config.train_iters, 0);

/** Price jobs with calibrations already made (cost key -> points). */
export function priceJobs(jobs: readonly Job[], prices: ReadonlyMap<string, readonly CostPoint[]>): JobEstimate[] {
  return jobs.map((job) => {
    const points = prices.get(costKey(job.config));
    if (!points) throw new Error(`no calibration for ${job.name}`);
    const rounds = jobRoundSeconds(job.config, points);
    return { job, rounds, seconds: rounds.reduce((a, b) => a + b, 0) };
  });
}

/**
 * Calibrate on `backend` (made active for it) and price every job: in CPU time on the CPU backends (core-seconds
 * however loaded the machine is), in wall time on a device that stacks networks (a GPU), where the process waits.
 */
export async function estimateSuite(
  jobs: readonly Job[], backend: Backend, options: CalibrationOptions = DEFAULT_CALIBRATION, onCalibrating?: (job: Job) => void,
): Promise<SuiteEstimate> {
  const began = performance.now();
  setActiveBackend(backend);
  const prices = new Map<string, CostPoint[]>();
  const clock = backend.stacking ? wallClock : cpuClock;
  // A process's first training loop runs slower for a while (the JIT, the heap growing): one untimed round first.
  const first = jobs[0];
  if (first) await calibrate({ ...first.config, experiment: 'no_pruning' }, options, clock);
  for (const [key, job] of representatives(jobs)) {
    onCalibrating?.(job);
    prices.set(key, await calibrate(job.config, options, clock));
  }
  const priced = priceJobs(jobs, prices);
  return {
    backend: backend.name, jobs: priced, seconds: priced.reduce((n, j) => n + j.seconds, 0),
    calibrationSeconds: (performance.now() - began) / 1000,
  };
}

/** Wall seconds of the priced jobs on `workers` processes (the pool hands them out in order). */
export const suiteWallSeconds = (jobs: readonly JobEstimate[], workers: number): number => wallSeconds(jobs.map((j) => j.seconds), workers);

/** The estimates less the rounds already complete on disk (a resumed job costs only what is left of it). */
export function withoutCompleteRounds(jobs: readonly JobEstimate[]): JobEstimate[] {
  return jobs.map((estimate) => {
    const { job } = estimate;
    const dir = trialDir(job.dir, job.trial);
    const rounds = estimate.rounds.map((seconds, round) => (isRoundComplete(dir, round, modelSpec(job.config.model)) ? 0 : seconds));
    return { job, rounds, seconds: rounds.reduce((a, b) => a + b, 0) };
  });
}
