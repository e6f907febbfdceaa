/**
 * Square Attack (Andriushchenko, Croce, Flammarion & Hein 2020, "Square Attack: a query-efficient black-box
 * adversarial attack via random search"), L-infinity, untargeted, on the logit margin z_y - max_{i != y} z_i:
 * - start: vertical stripes, x + eps * s with one random sign s per image, channel and column (clipped);
 * - each query: in one random square window of side round(sqrt(p * h * w)), set every channel to x +- eps (one
 *   random sign per channel, redrawn while the window would not change), and keep the candidate if its margin is
 *   lower; p halves at 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 queries of 10,000 (the schedule rescaled
 *   to the budget);
 * - an image stops being queried once it is misclassified.
 * All random draws come from the seeded rng; only the classifier's logits are used (no gradients).
 */
import type { HostData } from '../../autodiff/backend.js';
import { fromHost } from '../../autodiff/engine.js';
import type { Tensor } from '../../autodiff/tensor.js';
import { ConfigError } from '../../errors.js';
import type { Rng } from '../../nn/rng.js';
import { requirePositive, requireWhole, validateBall, type Attack, type Ball, type Classifier } from './attack.js';
import { logitsAt } from './evaluation.js';
import { marginsOf } from './margins.js';
import { hostResult } from './scopes.js';
import { worstOverRuns } from './worst-over-runs.js';
import { rowsOf, type RunOutcome } from './worst-case.js';

/** An image's layout in a row of x: height x width x channels, channels last. */
export interface ImageShape {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

export interface SquareOptions extends Ball {
  /** Queries per image and restart, the starting point's included (AutoAttack: 5000). */
  readonly queries: number;
  /** The initial fraction of pixels a window covers (AutoAttack: 0.8). */
  readonly pInit?: number;
  /** Runs from fresh random starts, each on the images not yet fooled (1). */
  readonly restarts?: number;
  /** Default: one channel, a square image of sqrt(d) x sqrt(d). */
  readonly image?: ImageShape;
}

/** Queries at which the schedule halves p, for a budget of 10,000 (rescaled to the budget). */
const HALVINGS = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];

/** The fraction p of pixels that query `iteration` (from 1) changes, of a budget of `queries`. */
export function squareFraction(pInit: number, iteration: number, queries: number): number {
  const scaled = Math.floor((iteration / queries) * 10000);
  return pInit / 2 ** HALVINGS.filter((h) => scaled > h).length;
}

/** The side of the square window for a fraction p of an h x w image: round(sqrt(p h w)), in [1, min(h, w)]. */
export const squareSide = (p: number, image: ImageShape): number =>
  Math.min(Math.max(Math.round(Math.sqrt(p * image.height * image.width)), 1), Math.min(image.height, image.width));

export function squareAttack(options: SquareOptions): Attack {
  const name = 'square';
  const ball = validateBall(name, options);
  const queries = requireWhole(name, 'queries', options.queries, 1, 'AutoAttack uses 5000');
  const restarts = requireWhole(name, 'restarts', options.restarts ?? 1, 1, 'AutoAttack uses 1');
  const pInit = requirePositive(name, 'pInit', options.pInit ?? 0.8, 'AutoAttack uses 0.8', 1);
  if (options.image) {
    for (const key of ['height', 'width', 'channels'] as const) requireWhole(name, `image ${key}`, options.image[key], 1, 'for MNIST: 28 x 28 x 1');
  }
  return {
    name, kind: 'black-box', loss: 'margin', ball, iterations: queries, restarts,
    craft: (classifier: Classifier, x: Tensor, labels: Int32Array, rng: Rng) => {
      const image = options.image ?? squareImage(x.shape[1] ?? 0);
      if (image.height * image.width * image.channels !== x.shape[1]) {
        throw new ConfigError(`square: an image of ${image.height} x ${image.width} x ${image.channels} does not fill a row of ${x.shape[1]} values`,
          'give the image shape (height, width, channels) of the data');
      }
      return worstOverRuns(name, classifier, x, labels, restarts, () => (xs, ys) =>
        squareRun(classifier, xs.dataSync(), ys, rng, { ball, queries, pInit, image }));
    },
  };
}

function squareImage(d: number): ImageShape {
  const side = Math.round(Math.sqrt(d));
  if (side * side !== d) throw new ConfigError(`square: a row of ${d} values is not a square image`, 'give the image shape (height, width, channels)');
  return { height: side, width: side, channels: 1 };
}

interface SquareSettings {
  readonly ball: Ball;
  readonly queries: number;
  readonly pInit: number;
  readonly image: ImageShape;
}

/** Draws while a window would not change the point: the original redraws until it does. */
const MAX_REDRAWS = 16;

function squareRun(classifier: Classifier, x: HostData, labels: Int32Array, rng: Rng, s: SquareSettings): RunOutcome {
  const { ball, image } = s;
  const { height: h, width: w, channels: c } = image;
  const d = h * w * c;
  const m = labels.length;
  const at = (row: number, col: number, ch: number) => (row * w + col) * c + ch;
  const clip = (v: number) => Math.min(Math.max(v, ball.clipMin), ball.clipMax);

  const best = x.slice();
  for (let k = 0; k < m; k++) {
    for (let ch = 0; ch < c; ch++) {
      for (let col = 0; col < w; col++) {
        const delta = rng.next() < 0.5 ? -ball.eps : ball.eps;
        for (let row = 0; row < h; row++) {
          const i = k * d + at(row, col, ch);
          best[i] = clip(x[i]! + delta);
        }
      }
    }
  }
  const firstLogits = hostResult(() => logitsAt(classifier, fromHost(best, [m, d])));
  const classes = firstLogits.length / m;
  const { margin, fooled } = marginsOf(firstLogits, labels, classes);
  const marginsAt = (points: HostData, rowLabels: Int32Array) =>
    hostResult(() => marginsOf(logitsAt(classifier, fromHost(points, [rowLabels.length, d])), rowLabels, classes));
  // A value as the points store it (float32 or float64), to tell whether a window changes anything.
  const slot = best.slice(0, 1);
  const stored = (v: number) => ((slot[0] = v), slot[0]!);
  if (ball.eps === 0) return { points: best, margin, fooled };

  for (let iteration = 1; iteration < s.queries; iteration++) {
    const active = Int32Array.from(Array.from(fooled.keys()).filter((k) => fooled[k] === 0));
    if (active.length === 0) break;
    const side = squareSide(squareFraction(s.pInit, iteration, s.queries), image);
    const candidates = rowsOf(best, d, active);
    active.forEach((k, j) => {
      const top = rng.int(h - side + 1);
      const left = rng.int(w - side + 1);
      for (let ch = 0; ch < c; ch++) {
        let value = 0;
        for (let draw = 0; draw < MAX_REDRAWS; draw++) {
          const delta = rng.next() < 0.5 ? -ball.eps : ball.eps;
          let changes = false;
          for (let row = top; row < top + side && !changes; row++) {
            for (let col = left; col < left + side && !changes; col++) {
              const i = at(row, col, ch);
              changes = stored(clip(x[k * d + i]! + delta)) !== best[k * d + i];
            }
          }
          value = delta;
          if (changes) break;
        }
        for (let row = top; row < top + side; row++) {
          for (let col = left; col < left + side; col++) {
            const i = at(row, col, ch);
            candidates[j * d + i] = clip(x[k * d + i]! + value);
          }
        }
      }
    });
    const next = marginsAt(candidates, Int32Array.from(active, (k) => labels[k]!));
    active.forEach((k, j) => {
      if (!(next.margin[j]! < margin[k]!)) return;
      margin[k] = next.margin[j]!;
      fooled[k] = next.fooled[j]!;
      best.set(candidates.subarray(j * d, (j + 1) * d), k * d);
    });
  }
  return { points: best, margin, fooled };
}
