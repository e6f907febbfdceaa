/** Checks shared by the backends' convolution and pooling tests beyond the conformance suite (webgpu, wasm). */
import { expect } from 'vitest';
import type { Backend, HostData } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, setActiveBackend } from '../../core/autodiff/engine.js';
import type { Shape } from '../../core/autodiff/primitives.js';
import { sizeOf } from '../../core/autodiff/shapes.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import type { Rng } from '../../core/nn/rng.js';

export interface HostInput {
  readonly values: Float32Array;
  readonly shape: Shape;
}

/** fn on `backend` from host inputs, read back (asynchronously, so that webgpu can run it too). */
export async function runOn(backend: Backend, inputs: readonly HostInput[], fn: (...xs: Tensor[]) => Tensor): Promise<HostData> {
  setActiveBackend(backend);
  const xs = inputs.map((i) => fromHost(i.values, i.shape));
  const out = fn(...xs);
  try {
    return await out.data();
  } finally {
    disposeAll([xs, out]);
  }
}

/**
 * A sum of products (a convolution, one of its gradients) on `backend` against the reference, for sums too long
 * for the conformance tolerances: every element within (terms + 2) 2^-24 sum|terms| of the reference, the
 * worst case of float32 summation of `terms` products in any order plus the reference's own rounding.
 * sum|terms| is the same function on the inputs' magnitudes, on the reference.
 */
export async function expectWithinSummationError(
  backend: Backend, reference: Backend, inputs: readonly HostInput[], terms: number, fn: (...xs: Tensor[]) => Tensor,
): Promise<void> {
  const got = await runOn(backend, inputs, fn);
  const want = await runOn(reference, inputs, fn);
  const magnitude = await runOn(reference, inputs.map((i) => ({ values: i.values.map(Math.abs), shape: i.shape })), fn);
  expect(got.length).toBe(want.length);
  const bound = (terms + 2) * 2 ** -24;
  for (let i = 0; i < got.length; i++) {
    const error = Math.abs(got[i]! - want[i]!);
    if (!(error <= bound * magnitude[i]!)) expect.fail(`element ${i}: ${got[i]} vs reference ${want[i]} (allowed ${bound * magnitude[i]!})`);
  }
}

/** An image of the values pooling gets wrong most easily (NaN, signed zeros, infinities, ties), anywhere in a window. */
export function specialImage(rng: Rng, shape: Shape): HostInput {
  const values = [NaN, 0, -0, 1, -1, Infinity, -Infinity, 3e38, 1e-45, 2, 2];
  return { values: Float32Array.from({ length: sizeOf(shape) }, () => values[rng.int(values.length)]!), shape };
}
