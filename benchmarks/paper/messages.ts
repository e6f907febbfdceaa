import type { Job } from './jobs.js';

/** Parent -> worker. */
export type ToWorker = { type: 'job'; job: Job } | { type: 'stop' };

/** Worker -> parent. */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; index: number; round: number; rounds: number; iteration: number; trainIters: number }
  | { type: 'done'; index: number; seconds: number }
  | { type: 'failed'; index: number; message: string };
