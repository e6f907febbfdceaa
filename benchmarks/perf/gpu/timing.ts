/**
 * Wall-clock timing of work whose results a device computes asynchronously: `enqueue` records one unit of work
 * and returns the tensors it produced; the clock stops only after every one of them has been read back
 * (Tensor.data(), so a GPU's queue is drained), then they are disposed.
 */
import { disposeAll, readAll } from '../../../core/autodiff/engine.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';

export interface TimingPlan {
  /** Units run and read before timing (pipelines compiled, buffers pooled). */
  readonly warmup: number;
  /** Timed rounds; the result is the median of their per-unit times. */
  readonly rounds: number;
  /** Units per round: at least `minUnits`, more while a round would take under `targetMs`. */
  readonly minUnits: number;
  readonly maxUnits: number;
  readonly targetMs: number;
}

export interface Timing {
  /** Median over rounds of (round time / units), ms. */
  readonly ms: number;
  readonly units: number;
  readonly rounds: number;
}

async function runUnits(enqueue: () => Tensor[], units: number): Promise<number> {
  const started = performance.now();
  const outputs: Tensor[] = [];
  for (let i = 0; i < units; i++) outputs.push(...enqueue());
  try {
    await readAll(outputs);
  } finally {
    disposeAll(outputs);
  }
  return performance.now() - started;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Warm up, size the rounds from one timed unit, then time `rounds` rounds. */
export async function timeUnits(enqueue: () => Tensor[], plan: TimingPlan): Promise<Timing> {
  if (plan.warmup > 0) await runUnits(enqueue, plan.warmup);
  const probe = await runUnits(enqueue, 1);
  const units = Math.max(plan.minUnits, Math.min(plan.maxUnits, Math.ceil(plan.targetMs / Math.max(probe, 1e-3))));
  const perUnit: number[] = [];
  for (let r = 0; r < plan.rounds; r++) perUnit.push((await runUnits(enqueue, units)) / units);
  return { ms: median(perUnit), units, rounds: plan.rounds };
}
