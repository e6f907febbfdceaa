import type { Tensor } from '../../autodiff/tensor.js';
import { ConfigError, ShapeError } from '../../errors.js';
import type { Rng } from '../../nn/rng.js';

/**
 * Any model, seen as the attacks see it: a batch x [n, d] in, logits [n, classes] out. Gradients with respect
 * to x come from the core's autodiff, so it must be built from core ops (a model's composition); the attacks
 * never change what it closes over.
 */
export type Classifier = (x: Tensor) => Tensor;

/** The L-infinity ball of an image, cut to the input range: every output of an attack lies in it. */
export interface Ball {
  readonly eps: number;
  readonly clipMin: number;
  readonly clipMax: number;
}

/** What a strong attack optimises (docs/audit.md): cross-entropy, the DLR loss, targeted DLR, the logit margin. */
export type AttackLoss = 'ce' | 'dlr' | 'dlr-targeted' | 'margin';

/** Who the attack asks: the gradient of the attacked network, only its outputs, or another network's gradient. */
export type AttackKind = 'white-box' | 'black-box' | 'transfer';

/**
 * A strong attack: settings fixed at construction (validated there), and `craft`, which returns adversarial
 * examples for x against the labels. Outputs lie in the ball of x; the same rng state gives the same bits.
 */
export interface Attack {
  /** Short id, as tables print it: 'pgd-ce', 'apgd-dlr-t', 'square', 'transfer-pgd-ce', ... */
  readonly name: string;
  readonly kind: AttackKind;
  readonly loss: AttackLoss;
  readonly ball: Ball;
  /** Gradient iterations per run (queries per image for Square Attack). */
  readonly iterations: number;
  /** Runs per image: random restarts, times the targets of a targeted attack. */
  readonly restarts: number;
  /**
   * Adversarial examples for x [n, d] with integer labels [n] (the true labels): per image the first point found
   * that is misclassified, else the point of lowest margin found (the clean x included). The result is a
   * constant tensor in the caller's scope; randomness is drawn from rng only.
   */
  craft(classifier: Classifier, x: Tensor, labels: Int32Array, rng: Rng): Tensor;
}

/** Check the ball before any work (as cleverhans does); `name` names the attack in the message. */
export function validateBall(name: string, ball: Ball): Ball {
  if (!(Number.isFinite(ball.eps) && ball.eps >= 0)) {
    throw new ConfigError(`invalid ${name} attack: eps must be a finite number >= 0, got ${ball.eps}`, 'the protocol uses --eps 0.3');
  }
  if (!(Number.isFinite(ball.clipMin) && Number.isFinite(ball.clipMax) && ball.clipMin < ball.clipMax)) {
    throw new ConfigError(`invalid ${name} attack: clip range [${ball.clipMin}, ${ball.clipMax}] is empty`, 'inputs live in [0, 1]');
  }
  return ball;
}

/** A whole-number setting >= min (iterations, restarts, queries, targets). */
export function requireWhole(name: string, what: string, value: number, min: number, hint: string): number {
  if (!(Number.isInteger(value) && value >= min)) {
    throw new ConfigError(`invalid ${name} attack: ${what} must be a whole number >= ${min}, got ${value}`, hint);
  }
  return value;
}

/** A finite setting in (0, max] (step sizes, fractions). */
export function requirePositive(name: string, what: string, value: number, hint: string, max = Infinity): number {
  if (!(Number.isFinite(value) && value > 0 && value <= max)) {
    const range = max === Infinity ? '> 0' : `in (0, ${max}]`;
    throw new ConfigError(`invalid ${name} attack: ${what} must be a finite number ${range}, got ${value}`, hint);
  }
  return value;
}

/** x must be [n, d] with one label per row. */
export function checkBatch(name: string, x: Tensor, labels: Int32Array): void {
  if (x.rank !== 2 || x.shape[0] !== labels.length) {
    throw new ShapeError(`${name}: images must be [n, d] with n labels, got [${x.shape}] and ${labels.length} labels`,
      'flatten each image to one row (28 x 28 -> 784)');
  }
}

export const DEFAULT_BALL: Ball = { eps: 0.3, clipMin: 0, clipMax: 1 };
