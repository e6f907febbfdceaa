/**
 * Finite-difference gradient checking. The analytic gradient of a random scalar projection
 * L = sum(f(xs) * r) is computed on the float32 reference backend with valueAndGrad; the oracle is the
 * central difference (L(x + h e_i) - L(x - h e_i)) / 2h evaluated on the float64 reference backend, where
 * the projection is summed in plain JS (independently of the engine's sum).
 */
import { expect } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { fromHost, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import { valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Shape } from '../../core/autodiff/primitives.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { closeness } from './allclose.js';

export const f32 = createReferenceBackend('float32');
export const f64 = createReferenceBackend('float64');

export interface Input {
  readonly values: readonly number[];
  readonly shape: Shape;
}

/** A tensor on the ACTIVE backend holding `values` without rounding them to float32 first. */
export const constant = (values: readonly number[], shape: Shape): Tensor => fromHost(Float64Array.from(values), shape);

/** mulberry32: a tiny PRNG independent of core/nn/rng.ts, for the projection vector r. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GradientPair {
  /** Analytic gradients (float32 backend), one array per input. */
  readonly analytic: number[][];
  /** Central finite differences (float64 backend), one array per input. */
  readonly numeric: number[][];
  /** f's value on each backend, flattened. */
  readonly value32: number[];
  readonly value64: number[];
}

export function gradientPair(f: (...xs: Tensor[]) => Tensor, inputs: readonly Input[], rSeed: number, h = 1e-6): GradientPair {
  setActiveBackend(f64);
  const evaluate = (values: readonly (readonly number[])[]): number[] =>
    tidy(() => f(...values.map((v, i) => constant(v, inputs[i]!.shape))).toArray());
  const base = inputs.map((x) => x.values);
  const value64 = evaluate(base);
  const random = mulberry32(rSeed);
  const r = value64.map(() => Math.fround(2 * random() - 1));
  const project = (out: readonly number[]): number => out.reduce((acc, o, i) => acc + o * r[i]!, 0);

  const numeric = inputs.map((input, k) =>
    input.values.map((_, j) => {
      const shifted = (delta: number) => base.map((v, i) => (i === k ? v.map((x, jj) => (jj === j ? x + delta : x)) : v));
      return (project(evaluate(shifted(h))) - project(evaluate(shifted(-h)))) / (2 * h);
    }),
  );

  setActiveBackend(f32);
  const { analytic, value32 } = tidy(() => {
    const xs = inputs.map((x) => constant(x.values, x.shape));
    const out = f(...xs);
    const rT = constant(r, out.shape);
    const { grads } = valueAndGrad((...args: Tensor[]) => op.sum(op.mul(f(...args), rT)))(...xs);
    return { analytic: grads.map((g) => g.toArray()), value32: out.toArray() };
  });
  return { analytic, numeric, value32, value64 };
}

/**
 * Assert that f's analytic float32 gradient matches float64 central differences. The tolerance is relative
 * to the gradient's scale: float32 rounding of values of order 1 gives errors near 1e-6, a wrong rule O(1).
 */
export function expectGradientsMatch(
  f: (...xs: Tensor[]) => Tensor, inputs: readonly Input[], rSeed: number, { rtol = 1e-3, atol = 1e-4 } = {},
): void {
  const { analytic, numeric, value32, value64 } = gradientPair(f, inputs, rSeed);
  expect(closeness(value32, value64, 1e-5, 1e-5), 'float32 and float64 forward values differ').toBeLessThanOrEqual(1);
  analytic.forEach((a, k) => {
    const ratio = closeness(a, numeric[k]!, rtol, atol);
    if (!(ratio <= 1)) {
      expect.fail(`input ${k} [${inputs[k]!.shape}]: analytic ${JSON.stringify(a)} vs finite differences ${JSON.stringify(numeric[k])}`);
    }
  });
}
