import { keep, tidy } from '../../autodiff/engine.js';
import * as op from '../../autodiff/ops.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../nn/rng.js';
import { requirePositive, requireWhole, validateBall, type Attack, type Ball, type Classifier } from './attack.js';
import { boxOf, randomStart, signedStep } from './ball.js';
import { evaluateWithGradient, logitsAt, type PerImageLoss } from './evaluation.js';
import { crossEntropyPerImage, dlrPerImage, oneHotOf } from './losses.js';
import { worstOverRuns } from './worst-over-runs.js';
import { RunTracker } from './worst-case.js';

export interface PgdRestartsOptions extends Ball {
  /** Signed-gradient steps per restart (100). */
  readonly iterations: number;
  /** Runs from independent random starts; each attacks the images no earlier one fooled (1). */
  readonly restarts: number;
  /** Step per iteration; 2.5 eps / iterations by default (Madry et al.: enough to cross the ball from any start). */
  readonly step?: number;
  /** Cross-entropy or the DLR loss (untargeted). */
  readonly loss: 'ce' | 'dlr';
  /** Restart 0 starts at x when false; later restarts always start at random (true). */
  readonly randomStart?: boolean;
}

/**
 * PGD with random restarts on a per-image loss: x' = P(x_t + step * sign(grad L(x_t))) within the ball, keeping
 * per image the first misclassified iterate, else the one of lowest margin, over all iterates and restarts.
 */
export function pgdRestarts(options: PgdRestartsOptions): Attack {
  const name = `pgd-${options.loss}`;
  const ball = validateBall(name, options);
  if (options.loss !== 'ce' && options.loss !== 'dlr') throw new ConfigError(`invalid ${name} attack: unknown loss '${options.loss}'`, 'use ce or dlr');
  const iterations = requireWhole(name, 'iterations', options.iterations, 1, 'for example 100');
  const restarts = requireWhole(name, 'restarts', options.restarts, 1, 'for example 10');
  const step = options.step ?? 2.5 * ball.eps / iterations;
  if (ball.eps > 0) requirePositive(name, 'step', step, 'for example 2.5 * eps / iterations');
  const randomFirst = options.randomStart ?? true;
  const lossOf = (oneHotY: Tensor): PerImageLoss =>
    options.loss === 'ce' ? (z) => crossEntropyPerImage(z, oneHotY) : (z) => dlrPerImage(z, oneHotY);
  return {
    name, kind: 'white-box', loss: options.loss, ball, iterations, restarts,
    craft: (classifier: Classifier, x: Tensor, labels: Int32Array, rng: Rng) =>
      worstOverRuns(name, classifier, x, labels, restarts, (classes) => {
        if (options.loss === 'dlr' && classes < 3) throw new ConfigError(`${name}: the DLR loss needs 3 classes or more, got ${classes}`, 'use the ce loss');
        return (xs, ys, _cleanLogits, r) => {
          const box = boxOf(xs, ball);
          const start = randomFirst || r > 0 ? randomStart(xs, box, ball, rng) : xs;
          return iterate(classifier, lossOf(oneHotOf(ys, classes)), start, ys, iterations, (current, g) => signedStep(current, g, step, box));
        };
      }),
  };
}

/**
 * `iterations` steps from start, each from the current point and its input gradient, tracking the worst case of
 * every point visited (the start and the last included); stops early once every image is fooled.
 */
export function iterate(
  classifier: Classifier, loss: PerImageLoss, start: Tensor, labels: Int32Array, iterations: number,
  step: (current: Tensor, g: Tensor) => Tensor,
) {
  let current = keep(tidy(() => op.add(start, 0)));
  let tracker: RunTracker | undefined;
  try {
    for (let i = 0; i < iterations; i++) {
      const { logits, gradient } = evaluateWithGradient(classifier, loss, current);
      if (tracker) tracker.offer(current, logits);
      else tracker = new RunTracker(current, logits, labels);
      if (tracker.allFooled) {
        gradient.dispose();
        return tracker.take();
      }
      const previous = current;
      current = keep(tidy(() => step(previous, gradient)));
      previous.dispose();
      gradient.dispose();
    }
    const last = logitsAt(classifier, current);
    if (!tracker) tracker = new RunTracker(current, last, labels);
    else tracker.offer(current, last);
    return tracker.take();
  } catch (error) {
    tracker?.dispose();
    throw error;
  } finally {
    current.dispose();
  }
}
