/**
 * The draws a round's evaluation stream made before its final test evaluation, so that an audit can attack the
 * final network with exactly the random starts the run used (and reproduce test.csv's last row bit for bit).
 *
 * A round evaluates at the points of its schedule (core/experiment/schedule.ts) in this order (round.ts,
 * evaluateAt): the validation set, the test set, then, for adversarial training after at least one step, the
 * accuracy of the last training batch under the attack. Only PGD with a random start draws: one uniform per
 * pixel of each image attacked, in image order (evaluate.ts, pgd.ts), whatever the evaluation batch size.
 */
import type { ExperimentConfig } from '../experiment/config.js';
import { evaluationPoints } from '../experiment/schedule.js';

export interface EvaluationSizes {
  /** Training images (an epoch), validation images (0 when there is no validation set), test images. */
  readonly train: number;
  readonly valid: number;
  readonly test: number;
  /** Values per image. */
  readonly pixels: number;
}

/** The size of the training batch of step `step` (1-based): full batches, and a partial one closing each epoch. */
export function batchSizeAt(step: number, train: number, batchSize: number): number {
  const perEpoch = Math.ceil(train / batchSize);
  const within = (step - 1) % perEpoch;
  return within === perEpoch - 1 ? train - (perEpoch - 1) * batchSize : batchSize;
}

/** Uniforms the round's evaluation stream drew before the first draw of its final test evaluation. */
export function drawsBeforeFinalTest(config: ExperimentConfig, sizes: EvaluationSizes): number {
  if (config.attack !== 'pgd') return 0;
  const points = evaluationPoints({
    schedule: config.eval_schedule, trainIters: config.train_iters, evalEvery: config.eval_every, trainCount: sizes.train, batchSize: config.batch_size,
  });
  let draws = 0;
  points.forEach(({ step }, k) => {
    draws += sizes.valid * sizes.pixels;
    if (k === points.length - 1) return;
    draws += sizes.test * sizes.pixels;
    if (config.adv_train && step > 0) draws += batchSizeAt(step, sizes.train, config.batch_size) * sizes.pixels;
  });
  return draws;
}
