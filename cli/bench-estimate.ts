/**
 * rsn bench's cost display: the --list table (its header on stderr, so that stdout stays one job per line), the
 * estimate printed before a run starts, and the progress and ETA a run's estimate gives from its first second.
 */
import { secondsDone, wallSeconds } from '../core/experiment/cost.js';
import { suiteWallSeconds, type JobEstimate, type SuiteEstimate } from '../benchmarks/paper/estimate.js';
import type { Job } from '../core/experiment/jobs/job.js';
import { formatDuration } from './progress.js';

/** Hours and days for long spans ("6.5 days (156 h)"), formatDuration's minutes and seconds for short ones. */
export function formatSpan(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const hours = seconds / 3600;
  if (hours >= 48) return `${(hours / 24).toFixed(1)} days (${Math.round(hours)} h)`;
  return formatDuration(seconds);
}

/** Core-hours to three significant digits (whole hours from 100 on). */
export function coreHours(seconds: number): string {
  const hours = seconds / 3600;
  return hours >= 100 ? hours.toFixed(0) : hours >= 10 ? hours.toFixed(1) : hours.toPrecision(3);
}

/** The --list table's columns: its header, rows on stdout. */
export const LIST_HEADER = ['index', 'job', 'status', 'folder', 'batch'];

/** One --list row (status: done, pending or damaged with its first damaged file); with an estimate, the job's core-hours as a last column. */
export function listRow(job: Job, status: string, batch: number | undefined, estimate?: JobEstimate): string {
  const cells = [String(job.index), job.name, status, job.dir, batch === undefined ? '-' : `batch ${batch}`];
  if (estimate) cells.push(coreHours(estimate.seconds));
  return `${cells.join('\t')}\n`;
}

/** What the suite costs, in lines for stderr: core-hours of all and of the pending jobs, and wall time on `workers` here. */
export function estimateLines(estimate: SuiteEstimate, pending: readonly JobEstimate[], workers: number): string[] {
  const pendingSeconds = pending.reduce((n, j) => n + j.seconds, 0);
  return [
    `estimate on backend ${estimate.backend} on this machine (calibrated in ${formatDuration(estimate.calibrationSeconds)}): ` +
      `${estimate.jobs.length} jobs, ${coreHours(estimate.seconds)} core-hours; ${pending.length} pending, ${coreHours(pendingSeconds)} core-hours, ` +
      `${formatSpan(suiteWallSeconds(pending, workers))} with ${workers} worker${workers === 1 ? '' : 's'}`,
  ];
}

/** The estimate a run prints before it starts: what is left of its pending jobs, and the wall time on its workers. */
export function runEstimateLine(estimate: SuiteEstimate, workers: number): string {
  return `estimate on backend ${estimate.backend} on this machine (calibrated in ${formatDuration(estimate.calibrationSeconds)}): ` +
    `${estimate.jobs.length} pending jobs, ${coreHours(estimate.seconds)} core-hours, ${formatSpan(suiteWallSeconds(estimate.jobs, workers))} with ${workers} worker${workers === 1 ? '' : 's'}`;
}

/**
 * Progress of a run measured in estimated seconds: a PGD-adversarial round weighs what it costs, not what its
 * step count says. The ETA is the estimate's wall time for what is left, corrected by how fast the run has
 * actually gone once it is a twentieth done (until then the estimate alone).
 */
export class EstimatedProgress {
  private readonly byIndex: Map<number, JobEstimate>;
  private readonly done = new Map<number, number>();
  private readonly total: number;
  private readonly wall: number;

  constructor(private readonly jobs: readonly JobEstimate[], private readonly workers: number) {
    this.byIndex = new Map(jobs.map((j) => [j.job.index, j]));
    this.total = jobs.reduce((n, j) => n + j.seconds, 0);
    this.wall = wallSeconds(jobs.map((j) => j.seconds), workers);
  }

  /** A job's progress: in round `round`, `iteration` of `trainIters` steps done. */
  set(index: number, round: number, iteration: number, trainIters: number): void {
    const job = this.byIndex.get(index);
    if (job) this.done.set(index, secondsDone(job.rounds, round, iteration, trainIters));
  }

  finish(index: number): void {
    const job = this.byIndex.get(index);
    if (job) this.done.set(index, job.seconds);
  }

  fraction(): number {
    let done = 0;
    for (const seconds of this.done.values()) done += seconds;
    return this.total > 0 ? done / this.total : 1;
  }

  /** Seconds left, `elapsed` seconds into the run. */
  eta(elapsed: number): number {
    const left = wallSeconds(this.jobs.map((j) => j.seconds - (this.done.get(j.job.index) ?? 0)).filter((s) => s > 0), this.workers);
    const expectedSoFar = this.wall - left;
    const weight = Math.min(1, this.fraction() / 0.05);
    const measured = expectedSoFar > 0 ? elapsed / expectedSoFar : 1;
    return left * (1 + weight * (measured - 1));
  }
}
