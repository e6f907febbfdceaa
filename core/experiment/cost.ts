/**
 * What a job costs before it runs: the work of each of its rounds (training steps, evaluations and the images
 * each evaluation runs, the weights its masks keep) priced by a calibration (calibrate.ts) of its step program on
 * this machine and backend. Pure arithmetic: the same numbers drive `rsn bench --list --estimate`, the estimate
 * `rsn bench` prints before it starts, and its progress ETA.
 */
import { modelSpec, parameterSize, type ModelSpec } from '../nn/models/index.js';
import { roundHalfEven } from '../pruning/magnitude.js';
import { pruneRates } from '../pruning/rates.js';
import { TRAIN_FILE_SIZE, type ExperimentConfig } from './config.js';
import { evaluationPoints } from './schedule.js';
import { roundsFor } from './strategies.js';

/**
 * Weights each parameter keeps at the start of each of `rounds` rounds: round 0 keeps all; each later round
 * prunes the original's count from the weights still kept (magnitude.ts, pruneLayer: cutoff index
 * round(rate * n) and every weight at or below it, so round(rate * n) + 1 of them when magnitudes do not tie);
 * a rate of 0 never prunes.
 */
export function keptCounts(spec: ModelSpec, rates: readonly number[], rounds: number): number[][] {
  let kept = spec.parameters.map(parameterSize);
  const out = [kept];
  for (let round = 1; round < rounds; round++) {
    kept = kept.map((n, i) => {
      const rate = rates[i]!;
      if (rate === 0 || n === 0) return n;
      const index = roundHalfEven(rate * n);
      return index >= n ? 0 : n - index - 1;
    });
    out.push(kept);
  }
  return out;
}

/** The work of one round of a job. */
export interface RoundWork {
  readonly round: number;
  /** Fraction of the model's kernel weights kept (1 in round 0), as percent_remaining / 100. */
  readonly fraction: number;
  readonly trainSteps: number;
  readonly evaluations: number;
  /**
   * Images one evaluation runs through the natural and the adversarial logits: the validation and test sets,
   * plus the last training batch when training is adversarial (its adversarial accuracy is measured too).
   */
  readonly imagesPerEvaluation: number;
}

/** The rounds of a job (one configuration, one trial) and the work of each. */
export function roundWork(config: ExperimentConfig): RoundWork[] {
  const spec = modelSpec(config.model);
  const rounds = roundsFor(config.experiment, config.prune_iters);
  const evaluations = evaluationPoints({
    schedule: config.eval_schedule, trainIters: config.train_iters, evalEvery: config.eval_every,
    trainCount: TRAIN_FILE_SIZE - config.valid_size, batchSize: config.batch_size,
  }).length;
  const kernels = spec.parameters.flatMap((p, i) => (p.kind === 'kernel' ? [i] : []));
  const total = kernels.reduce((n, i) => n + parameterSize(spec.parameters[i]!), 0);
  return keptCounts(spec, pruneRates(spec, config.prune_rates), rounds).map((kept, round) => ({
    round,
    fraction: kernels.reduce((n, i) => n + kept[i]!, 0) / total,
    trainSteps: config.train_iters,
    evaluations,
    imagesPerEvaluation: config.valid_size + config.test_size + (config.adv_train ? config.batch_size : 0),
  }));
}

/**
 * The settings a training step's cost depends on: model, batch size, loss, the L1 term, and the attack that
 * crafts the adversarial half of the batch (none for natural training, whatever --attack says).
 */
export const trainCostKey = (c: ExperimentConfig): string =>
  JSON.stringify([c.model, c.batch_size, c.loss, c.l1_reg > 0, c.adv_train ? c.attack : 'natural', c.adv_train && c.attack === 'pgd' ? c.pgd_iters : 0]);

/** The settings an evaluated image's cost depends on: model, loss, evaluation batch size and attack. */
export const evalCostKey = (c: ExperimentConfig): string =>
  JSON.stringify([c.model, c.loss, c.eval_batch_size, c.attack, c.attack === 'pgd' ? c.pgd_iters : 0]);

/**
 * Configurations with one cost key take equally long per step and per evaluated image at equal masks: one
 * calibration prices them all. Pruning rates are part of it (they fix the masks of each round).
 */
export const costKey = (c: ExperimentConfig): string =>
  JSON.stringify([trainCostKey(c), evalCostKey(c), pruneRates(modelSpec(c.model), c.prune_rates)]);

/** A calibration's measurement at one round's masks. */
export interface CostPoint {
  readonly round: number;
  /** The round's kept fraction (RoundWork.fraction). */
  readonly fraction: number;
  /** Seconds per training step. */
  readonly stepSeconds: number;
  /** Seconds per evaluated image (RoundWork.imagesPerEvaluation). */
  readonly evalImageSeconds: number;
}

/**
 * The rounds worth calibrating among rounds with these kept fractions: the dense round 0, the last round, and
 * the first rounds at or below half, a quarter and a tenth of the weights (where the sparse kernels of native and
 * wasm take over and keep getting cheaper); the rounds between are interpolated.
 */
export function sampleRounds(fractions: readonly number[]): number[] {
  const picked = new Set<number>([0, fractions.length - 1]);
  for (const target of [0.5, 0.25, 0.1]) {
    const round = fractions.findIndex((f) => f <= target);
    if (round > 0) picked.add(round);
  }
  return [...picked].filter((r) => r >= 0).sort((a, b) => a - b);
}

/** Seconds per step and per image at a kept fraction: linear between the two calibrated fractions around it, the nearest outside them. */
export function priceAt(points: readonly CostPoint[], fraction: number): { stepSeconds: number; evalImageSeconds: number } {
  if (points.length === 0) throw new Error('no calibration points');
  const sorted = [...points].sort((a, b) => a.fraction - b.fraction);
  if (fraction <= sorted[0]!.fraction) return sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  if (fraction >= last.fraction) return last;
  const upper = sorted.findIndex((p) => p.fraction >= fraction);
  const a = sorted[upper - 1]!;
  const b = sorted[upper]!;
  const t = (fraction - a.fraction) / (b.fraction - a.fraction);
  return { stepSeconds: a.stepSeconds + t * (b.stepSeconds - a.stepSeconds), evalImageSeconds: a.evalImageSeconds + t * (b.evalImageSeconds - a.evalImageSeconds) };
}

/** Seconds of one round: its steps and its evaluations at the prices of its kept fraction. */
export function roundSeconds(work: RoundWork, points: readonly CostPoint[]): number {
  const price = priceAt(points, work.fraction);
  return work.trainSteps * price.stepSeconds + work.evaluations * work.imagesPerEvaluation * price.evalImageSeconds;
}

/** Seconds of each round of a job, from the calibration of its cost key. */
export const jobRoundSeconds = (config: ExperimentConfig, points: readonly CostPoint[]): number[] =>
  roundWork(config).map((work) => roundSeconds(work, points));

/**
 * Wall seconds for jobs of these durations on `workers` processes handing out jobs in order, each to the first
 * free worker (the pool of rsn bench).
 */
export function wallSeconds(jobSeconds: readonly number[], workers: number): number {
  const free = new Array<number>(Math.max(1, Math.min(workers, jobSeconds.length || 1))).fill(0);
  for (const seconds of jobSeconds) {
    const first = free.indexOf(Math.min(...free));
    free[first] = free[first]! + seconds;
  }
  return Math.max(...free);
}

/** Seconds of a job that are behind it once it is in round `round` at step `iteration` (progress of a running job). */
export function secondsDone(rounds: readonly number[], round: number, iteration: number, trainIters: number): number {
  const before = rounds.slice(0, Math.min(round, rounds.length)).reduce((a, b) => a + b, 0);
  const current = round < rounds.length ? rounds[round]! * Math.min(1, Math.max(0, iteration / trainIters)) : 0;
  return before + current;
}
