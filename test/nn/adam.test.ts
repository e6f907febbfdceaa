/**
 * Adam (core/nn/adam.ts) against the Keras-form update written out in plain float64 JS, the analytic first
 * step (|delta| = lr for any nonzero gradient), and reset().
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { disposeAll, setActiveBackend } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import { liveTensorCount, type Tensor } from '../../core/autodiff/tensor.js';
import { ADAM_DEFAULTS, Adam, type AdamConfig } from '../../core/nn/adam.js';
import { expectAllClose } from '../support/allclose.js';

beforeAll(() => setActiveBackend(createReferenceBackend('float32')));

/** The oracle: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t); m, v; w -= lr_t m / (sqrt(v) + eps), in float64. */
function handAdam(config: AdamConfig, w0: readonly number[], gradients: readonly (readonly number[])[]): number[][] {
  const { learningRate: lr, beta1: b1, beta2: b2, epsilon: eps } = config;
  const w = [...w0];
  const m = w.map(() => 0);
  const v = w.map(() => 0);
  const trajectory: number[][] = [];
  gradients.forEach((g, step) => {
    const t = step + 1;
    const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
    for (let i = 0; i < w.length; i++) {
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      w[i] = w[i]! - (lrT * m[i]!) / (Math.sqrt(v[i]!) + eps);
    }
    trajectory.push([...w]);
  });
  return trajectory;
}

/** Run Adam on one parameter tensor through a gradient sequence; returns the parameter after each step. */
function runAdam(adam: Adam, w0: readonly number[], gradients: readonly (readonly number[])[], shape = [w0.length]): number[][] {
  let params: Tensor[] = [op.tensor(w0, shape)];
  return gradients.map((g) => {
    const grads = [op.tensor(g, shape)];
    const next = adam.apply(params, grads);
    disposeAll([params, grads]);
    params = next;
    return params[0]!.toArray();
  });
}

const W0 = [0.5, -1, 2, 0.25, 0, -0.75];
// Sign flips, a gradient that is zero for a while then not, one that is always zero, very different scales.
const GRADS = [
  [0.1, -2, 0.5, 0, 0, 1e-3],
  [-0.3, -1, 0.5, 0, 0, 2e-3],
  [0.2, 3, -0.25, 4, 0, -1e-3],
  [0.05, -0.5, 0.125, -2, 0, 5e-3],
  [-1, 0.75, 1, 0.5, 0, 0],
  [0.6, -0.1, -2, 1, 0, 1e-2],
];

describe('Adam follows the hand-derived Keras-form sequence', () => {
  const configs: [string, AdamConfig][] = [
    ['protocol defaults (lr 1.2e-3, eps 1e-7)', ADAM_DEFAULTS],
    ['lr 0.05, beta1 0.8, beta2 0.99, eps 1e-3', { learningRate: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-3 }],
  ];
  for (const [name, config] of configs) {
    it(name, () => {
      const got = runAdam(new Adam(config), W0, GRADS);
      const want = handAdam(config, W0, GRADS);
      got.forEach((w, step) => expectAllClose(w, want[step]!, 1e-6, 1e-6));
      // A weight whose gradient was always zero has not moved at all.
      expect(got.map((w) => w[4])).toEqual(GRADS.map(() => 0));
    });
  }

  it('several parameter tensors of different shapes are updated independently', () => {
    const adam = new Adam(ADAM_DEFAULTS);
    let params = [op.tensor([1, 2, 3, 4], [2, 2]), op.tensor([-1], [1])];
    const gradSeq = [[[0.5, -0.5, 1, 0], [2]], [[0.25, 0.25, -1, 3], [-1]]];
    for (const gs of gradSeq) {
      const grads = [op.tensor(gs[0]!, [2, 2]), op.tensor(gs[1]!, [1])];
      const next = adam.apply(params, grads);
      disposeAll([params, grads]);
      params = next;
    }
    expect(params[0]!.shape).toEqual([2, 2]);
    expectAllClose(params[0]!.toArray(), handAdam(ADAM_DEFAULTS, [1, 2, 3, 4], gradSeq.map((g) => g[0]!))[1]!, 1e-6, 1e-6);
    expectAllClose(params[1]!.toArray(), handAdam(ADAM_DEFAULTS, [-1], gradSeq.map((g) => g[1]!))[1]!, 1e-6, 1e-6);
    expect(adam.step).toBe(2);
  });
});

describe('the first Adam step', () => {
  it('moves every weight by lr against the sign of its gradient, whatever the gradient magnitude', () => {
    const gradient = fc.tuple(fc.double({ min: 1e-2, max: 1e3, noNaN: true }), fc.boolean()).map(([g, neg]) => Math.fround(neg ? -g : g));
    fc.assert(
      fc.property(fc.array(gradient, { minLength: 1, maxLength: 8 }), fc.constantFrom(1.2e-3, 0.01, 0.1), (g, lr) => {
        const [w1] = runAdam(new Adam({ ...ADAM_DEFAULTS, learningRate: lr }), g.map(() => 0), [g]);
        // m / sqrt(v) = sign(g) at t = 1; eps / sqrt(v) <= 1e-7 / (sqrt(1e-3) 1e-2) ~ 3e-4 relative.
        w1!.forEach((w, i) => expect(Math.abs(w + lr * Math.sign(g[i]!))).toBeLessThanOrEqual(lr * 1e-3));
      }),
      { seed: 1, numRuns: 50 },
    );
  });
});

describe('reset', () => {
  it('returns to step 0 with zero moments: the next step equals a fresh optimiser first step', () => {
    const adam = new Adam(ADAM_DEFAULTS);
    runAdam(adam, W0, GRADS.slice(0, 3));
    expect(adam.step).toBe(3);
    const before = liveTensorCount();
    adam.reset();
    expect(adam.step).toBe(0);
    expect(liveTensorCount()).toBe(before - 2); // its m and v were freed
    const afterReset = runAdam(adam, W0, [GRADS[4]!]);
    const fresh = runAdam(new Adam(ADAM_DEFAULTS), W0, [GRADS[4]!]);
    expect(afterReset).toEqual(fresh);
    expectAllClose(afterReset[0]!, handAdam(ADAM_DEFAULTS, W0, [GRADS[4]!])[0]!, 1e-6, 1e-6);
    expect(adam.step).toBe(1);
  });

  it('apply leaves the caller owning params and gradients, and keeps only its own moments', () => {
    const adam = new Adam(ADAM_DEFAULTS);
    const params = [op.tensor([1, 2])];
    const grads = [op.tensor([0.1, -0.1])];
    const before = liveTensorCount();
    const next = adam.apply(params, grads);
    expect(params[0]!.isDisposed || grads[0]!.isDisposed).toBe(false);
    expect(liveTensorCount()).toBe(before + 1 + 2); // the new parameter, m and v
    disposeAll([params, grads, next]);
    adam.reset();
    expect(liveTensorCount()).toBe(before - 2);
  });
});
