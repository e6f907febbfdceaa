/**
 * The hardware's limit for a training step: its arithmetic (floating-point operations of its matrix products)
 * divided by the single-core peak of the backend's own matrix product, measured in the same run on a large
 * square product. A step's ratio to that bound says how far it is from the speed of the core (1.0 is the limit
 * for a step that does nothing but these products, at the speed of a large one).
 */
import { disposeAll, fromHost, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { ModelSpec } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';

export type StepKind = 'natural' | 'fgsm' | 'pgd';

/**
 * FLOP of one training step on a batch of n rows of a dense network (2 per multiply-add): the forward pass,
 * the weight gradients and the gradients of the hidden layers' inputs, on n rows, or on 2n (clean and
 * adversarial halves) for the adversarial steps; these add the attack, counted in full: the forward pass that
 * predicts its labels, then per iteration (1 for FGSM, `pgdIterations` for PGD) a forward pass and the gradient
 * of the loss with respect to the input (every layer's backward product). The products alone: elementwise work,
 * the lane layout's padding and FGSM's shared labels pass are not counted.
 */
export function stepArithmetic(spec: ModelSpec, n: number, kind: StepKind, pgdIterations = 10): number {
  if (spec.parameters.some((p) => p.kind !== 'kernel' || p.shape.length !== 2)) {
    throw new RangeError(`stepArithmetic counts dense networks without biases; ${spec.name} has other parameters`);
  }
  const sizes = spec.parameters.map((p) => p.shape[0]! * p.shape[1]!);
  const all = sizes.reduce((a, b) => a + b, 0);
  const hidden = all - sizes[0]!;
  const training = (rows: number) => 2 * rows * (all + all + hidden);
  if (kind === 'natural') return training(n);
  const iterations = kind === 'fgsm' ? 1 : pgdIterations;
  return training(2 * n) + 2 * n * all + iterations * 2 * n * (all + all);
}

export interface Peak {
  /** Best throughput of the large product, GFLOP/s. */
  readonly gflops: number;
  readonly size: number;
  readonly runs: number;
}

/**
 * The single-core peak of the active backend's matrix product: the best of `runs` products of two [size, size]
 * matrices, by CPU time of this process (what a busy machine changes least), after one untimed product.
 */
export function measurePeak(size = 1024, runs = 10): Peak {
  const rng = new Rng(99);
  const [a, b] = [fromHost(rng.uniformArray(size * size, -1, 1), [size, size]), fromHost(rng.uniformArray(size * size, -1, 1), [size, size])];
  const product = () => tidy(() => void op.matmul(a, b).dataSync());
  product();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const start = process.cpuUsage();
    product();
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 1e6);
  }
  disposeAll([a, b]);
  return { gflops: (2 * size ** 3) / best / 1e9, size, runs };
}

/** Milliseconds the arithmetic takes at the peak. */
export const boundMs = (flop: number, peak: Peak): number => flop / (peak.gflops * 1e9) * 1e3;

/** [label, m, n, k, transposeA, transposeB] of the products a step makes (lanes: 64 for batch 60, 128 for 2 x 60). */
export const STEP_PRODUCTS: readonly (readonly [string, number, number, number, number, number])[] = [
  ['forward 1: W1^T hT', 300, 64, 784, 1, 0],
  ['forward 2: W2^T hT', 100, 64, 300, 1, 0],
  ['forward 3: W3^T hT', 10, 64, 100, 1, 0],
  ['backward 1: W1 gT', 784, 64, 300, 0, 0],
  ['backward 2: W2 gT', 300, 64, 100, 0, 0],
  ['backward 3: W3 gT', 100, 64, 10, 0, 0],
  ['weight gradient 1: hT gT^T', 784, 300, 128, 0, 1],
  ['weight gradient 2: hT gT^T', 300, 100, 128, 0, 1],
];
