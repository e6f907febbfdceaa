import type { RoundSummary } from '../../core/results/records.js';
import type { Job } from './jobs.js';

/** Parent -> worker. */
export type ToWorker = { type: 'job'; job: Job } | { type: 'stop' };

/** Worker -> parent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; index: number; round: number; rounds: number; iteration: number; trainIters: number }
  | { type: 'round'; index: number; summary: RoundSummary; skipped: boolean }
  | { type: 'log'; index: number; text: string }
  | { type: 'done'; index: number; seconds: number }
  | { type: 'failed'; index: number; message: string };
