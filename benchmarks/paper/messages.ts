import type { RoundSummary } from '../../core/results/records.js';
import type { Job } from './jobs.js';

/** Parent -> worker: a batch of jobs to train together as one computation (one job: alone). */
export type ToWorker = { type: 'jobs'; jobs: Job[] } | { type: 'stop' };

/** Worker -> parent. */
export type FromWorker =
  | { type: 'ready' }
  /** indices: the jobs of the batch that this step trains (or this skip concerns). */
  | { type: 'progress'; indices: number[]; round: number; rounds: number; iteration: number; trainIters: number }
  | { type: 'round'; index: number; summary: RoundSummary; skipped: boolean }
  | { type: 'log'; index: number; text: string }
  /** The whole batch finished, or failed. */
  | { type: 'done'; seconds: number }
  | { type: 'failed'; message: string };
