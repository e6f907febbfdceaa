/**
 * A short calibration of a step program on the active backend: a few hundred training steps and one evaluation,
 * through the training loop that runs the real rounds (round.ts, trainRounds), on synthetic images, with the
 * masks of chosen rounds of the sparsity schedule (pruned weights are cheaper where a backend has sparse kernels).
 * cost.ts turns its prices into the cost of every job.
 */
import { attackSpec } from '../attacks/index.js';
import { fullMasks, initialWeights, type ParameterArrays } from '../nn/model.js';
import { inputSize, modelSpec } from '../nn/models/index.js';
import { Rng } from '../nn/rng.js';
import { pruneParameters } from '../pruning/magnitude.js';
import { pruneRates } from '../pruning/rates.js';
import type { ExperimentConfig } from './config.js';
import { roundWork, sampleRounds, type CostPoint } from './cost.js';
import type { EvalSet } from './evaluate.js';
import { trainRounds, type PreparedData } from './round.js';

export interface CalibrationOptions {
  /**
   * Natural training steps timed at each sampled round (after `warmupSteps` untimed ones); adversarial steps,
   * which run the network once more per attack iteration, are fewer (calibrationSize).
   */
  readonly steps: number;
  readonly warmupSteps: number;
  /** Images in each of the validation and test sets of the timed evaluation, for one pass of the attack (evalPasses). */
  readonly evalImages: number;
}

/**
 * About a second of CPU per sampled round on the development machine: fewer steps measure too noisily on a loaded
 * machine (+-20% at 20 PGD steps; docs/cluster.md).
 */
export const DEFAULT_CALIBRATION: CalibrationOptions = { steps: 200, warmupSteps: 20, evalImages: 500 };

/** Forward-backward passes of a training step: 1, plus one per attack iteration when training is adversarial. */
export const trainPasses = (c: ExperimentConfig): number => 1 + (c.adv_train ? (c.attack === 'pgd' ? c.pgd_iters : 1) : 0);
/** Passes of an evaluated image: the natural logits, and the attack's iterations before the adversarial logits. */
export const evalPasses = (c: ExperimentConfig): number => 2 + (c.attack === 'pgd' ? c.pgd_iters : 1);

/**
 * The calibration's step and image counts for one configuration: fewer steps the more passes a step takes (by
 * the square root: a PGD step is timed over 60 steps, not 18), fewer images the more passes the attack takes.
 */
export function calibrationSize(c: ExperimentConfig, options: CalibrationOptions = DEFAULT_CALIBRATION): CalibrationOptions {
  return {
    steps: Math.max(Math.min(options.steps, 50), Math.round(options.steps / Math.sqrt(trainPasses(c)))),
    warmupSteps: options.warmupSteps,
    evalImages: Math.max(50, Math.round((3 * options.evalImages) / evalPasses(c))),
  };
}

/** Milliseconds of CPU this process has used: what a calibration prices on the CPU backends, whatever else shares the cores. */
export const cpuClock = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Milliseconds of wall time: what a calibration prices where the work runs on a device (the process mostly waits). */
export const wallClock = (): number => performance.now();

/** `count` images of uniform pixels with labels 0, 1, 2, ... and one-hot targets: what a step costs does not depend on the pixels. */
function syntheticSet(count: number, width: number, classes: number, rng: Rng): EvalSet {
  const labels = Int32Array.from({ length: count }, (_, i) => i % classes);
  const targets = new Float32Array(count * classes);
  labels.forEach((label, i) => (targets[i * classes + label] = 1));
  return { images: rng.uniformArray(count * width, 0, 1), labels, targets, count };
}

/** The masks of round `round`: `round` prunings of magnitude at the configuration's rates (of random weights: the counts are the schedule's). */
export function masksOfRound(config: ExperimentConfig, round: number, rng: Rng): ParameterArrays {
  const spec = modelSpec(config.model);
  const rates = pruneRates(spec, config.prune_rates);
  let masks = fullMasks(spec);
  for (let r = 1; r <= round; r++) masks = pruneParameters(initialWeights(spec, rng, config.init), masks, rates);
  return masks;
}

/**
 * Time one configuration's step program at the sampled rounds of its sparsity schedule (cost.ts, sampleRounds):
 * seconds per training step and per evaluated image at each, by `clock` (milliseconds; CPU time by default, so
 * that the prices are a core's on a loaded machine). The active backend must be set.
 */
export async function calibrate(config: ExperimentConfig, base: CalibrationOptions = DEFAULT_CALIBRATION, clock: () => number = cpuClock): Promise<CostPoint[]> {
  if (!(base.warmupSteps >= 1 && base.steps >= 1 && base.evalImages >= 1)) throw new RangeError('a calibration takes at least one warm-up step, one timed step and one image');
  const options = calibrationSize(config, base);
  const spec = modelSpec(config.model);
  const work = roundWork(config);
  const rng = new Rng(config.seed).derive(0xca1);
  const width = inputSize(spec);
  const steps = options.warmupSteps + options.steps;
  const data: PreparedData = {
    train: syntheticSet(Math.max(4 * config.batch_size, 1000), width, spec.classes, rng),
    valid: syntheticSet(options.evalImages, width, spec.classes, rng),
    test: syntheticSet(options.evalImages, width, spec.classes, rng),
  };
  // One evaluation before training (a warm-up, untimed) and one after the last step (timed).
  const timing: ExperimentConfig = {
    ...config, train_iters: steps, eval_every: steps, eval_schedule: 'every', valid_size: options.evalImages, test_size: options.evalImages,
  };
  const attack = attackSpec(config.attack, { eps: config.eps, step: config.pgd_step, iterations: config.pgd_iters });
  const points: CostPoint[] = [];
  for (const round of sampleRounds(work.map((w) => w.fraction))) {
    const start = initialWeights(spec, rng, config.init);
    const marks: { warm?: number; trained?: number; evaluating?: number } = {};
    const member = {
      data, start, masks: masksOfRound(config, round, rng),
      rngs: { batches: rng.derive(1, round), attack: rng.derive(2, round), evaluation: rng.derive(3, round) },
    };
    await trainRounds(timing, spec, attack, [member], (iteration, phase) => {
      if (phase === 'train' && iteration === options.warmupSteps) marks.warm = clock();
      if (phase === 'train' && iteration === steps) marks.trained = clock();
      if (phase === 'eval' && iteration === steps) marks.evaluating = clock();
    });
    const done = clock();
    const images = 2 * options.evalImages + (config.adv_train ? config.batch_size : 0);
    points.push({
      round, fraction: work[round]!.fraction,
      stepSeconds: (marks.trained! - marks.warm!) / 1000 / options.steps,
      evalImageSeconds: (done - marks.evaluating!) / 1000 / images,
    });
  }
  return points;
}
