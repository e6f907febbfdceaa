/**
 * A linear classifier z = x W + b (W [d, K], b [K]) whose L-infinity worst case has a closed form (hand
 * derivation): for true class y and class j, the margin (w_y - w_j) . x' + (b_y - b_j) over the ball of x is
 * smallest at x' = x - eps * sign(w_y - w_j), where it is (w_y - w_j) . x + (b_y - b_j) - eps |w_y - w_j|_1, as
 * long as that x' stays inside [0, 1] (pixels in [0.4, 0.6], eps <= 0.1). The minimal margin over the ball is the
 * smallest of these over j != y.
 *
 * The attacks maximise a surrogate (cross-entropy, DLR), not the margin, so the classes are laid out for the
 * surrogates' maximiser to be the margin's minimiser: class y, a runner-up t (random weights), two "shadow"
 * classes with w_y's weights and biases c1 = 20, c2 = 22 below b_y (so the DLR denominators z_y - z_pi3 and
 * z_y - (z_pi3 + z_pi4) / 2 are constants), and the other classes 40 below (cross-entropy's gradient is then
 * p_t (w_t - w_y) up to e^-20). The margin against t is the smallest, and every surrogate ascends along
 * -sign(w_y - w_t).
 */
import { Rng } from '../../../core/nn/rng.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';

export const D = 784;
export const K = 10;

export interface LinearProblem {
  /** W [D, K] row-major and b [K], as float32 values. */
  readonly w: Float32Array;
  readonly b: Float32Array;
  /** Images [n, D] with pixels in [0.4, 0.6]. */
  readonly x: Float32Array;
  readonly labels: Int32Array;
  readonly n: number;
  readonly eps: number;
  /** Class roles: y, runner-up t, shadows s1 and s2. */
  readonly roles: { y: number; t: number; s1: number; s2: number };
}

/**
 * Images whose minimal margin over the ball is `worst` for the first image (the others are within a few tenths
 * of it). The class roles are a random permutation.
 */
export function linearProblem(seed: number, n: number, eps: number, worst: number): LinearProblem {
  const rng = new Rng(seed);
  const order = rng.shuffle(Int32Array.from({ length: K }, (_, i) => i));
  const [y, t, s1, s2] = [order[0]!, order[1]!, order[2]!, order[3]!];
  const w = new Float32Array(D * K);
  const b = new Float32Array(K);
  for (let p = 0; p < D; p++) {
    for (let c = 0; c < K; c++) w[p * K + c] = rng.uniform(-0.05, 0.05);
    w[p * K + s1] = w[p * K + y]!;
    w[p * K + s2] = w[p * K + y]!;
  }
  const x = Float32Array.from({ length: n * D }, () => rng.uniform(0.4, 0.6));
  // b_y - b_t chosen so that image 0's minimal margin against t is `worst`.
  let dot = 0;
  let l1 = 0;
  for (let p = 0; p < D; p++) {
    const u = w[p * K + y]! - w[p * K + t]!;
    dot += u * x[p]!;
    l1 += Math.abs(u);
  }
  b.fill(-40);
  b[y] = 0;
  b[s1] = -20;
  b[s2] = -22;
  b[t] = dot - eps * l1 - worst;
  return { w, b, x, labels: new Int32Array(n).fill(y), n, eps, roles: { y, t, s1, s2 } };
}

/** The classifier on the active backend (its tensors are made in the caller's scope). */
export function linearClassifier(problem: LinearProblem): (x: Tensor) => Tensor {
  const w = op.tensor(problem.w, [D, K]);
  const b = op.tensor(problem.b, [K]);
  return (x: Tensor) => op.add(op.matmul(x, w), b);
}

/** Logits of one image in float64 from the float32 weights. */
export function logits64(problem: LinearProblem, image: ArrayLike<number>): number[] {
  return Array.from({ length: K }, (_, c) => {
    let z = problem.b[c]!;
    for (let p = 0; p < D; p++) z += image[p]! * problem.w[p * K + c]!;
    return z;
  });
}

/** z_y - max_{j != y} z_j in float64. */
export function margin64(problem: LinearProblem, image: ArrayLike<number>, y: number): number {
  const z = logits64(problem, image);
  return z[y]! - Math.max(...z.filter((_, c) => c !== y));
}

/** The closed-form minimal margin over the ball of image i (every class j != y, each at its own vertex). */
export function oracleMargin(problem: LinearProblem, i: number): number {
  const image = problem.x.subarray(i * D, (i + 1) * D);
  const y = problem.labels[i]!;
  let best = Infinity;
  for (let j = 0; j < K; j++) {
    if (j === y) continue;
    let m = problem.b[y]! - problem.b[j]!;
    for (let p = 0; p < D; p++) {
      const u = problem.w[p * K + y]! - problem.w[p * K + j]!;
      m += u * image[p]! - problem.eps * Math.abs(u);
    }
    best = Math.min(best, m);
  }
  return best;
}
