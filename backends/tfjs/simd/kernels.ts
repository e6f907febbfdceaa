/**
 * Elementwise custom kernels for tfjs-wasm, run by a small WebAssembly SIMD module (assembler.ts) on the
 * tensors in tfjs-wasm's own heap: each reads its inputs and writes its outputs in one pass, where the
 * kernel compositions (../custom.ts) make 5 to 12 passes over memory. Each evaluates the float32 operations of
 * the composition that defines it (core/nn/custom-ops.ts) in the same order, with tfjs-wasm's
 * clip semantics (assembler.ts, clip), so the results are identical to the composition's for every input
 * but NaN gradients (sign(NaN) is NaN in the composition, 0 here).
 */
import { add, assemble, clip, div, load, mul, ref, scalar, signTimes, sqrt, sub, type KernelDef } from './assembler.js';
import { compile, instantiate } from './binary.js';

const ADAM: KernelDef = {
  // inputs w, g, m, v; outputs w', m', v'; scalars lr, b1, 1 - b1, b2, 1 - b2, eps
  name: 'adam', inputs: 4, outputs: 3, scalars: 6,
  lets: [
    ['m', add(mul(load(2), scalar(1)), mul(load(1), scalar(2)))],
    ['v', add(mul(load(3), scalar(3)), mul(mul(load(1), load(1)), scalar(4)))],
  ],
  results: [sub(load(0), mul(div(ref('m'), add(sqrt(ref('v')), scalar(5))), scalar(0))), ref('m'), ref('v')],
};

const SIGN_STEP: KernelDef = {
  // inputs x, g; output clip(x + sign(g) * scale, lo, hi); scalars scale, -scale, lo, hi
  name: 'signStep', inputs: 2, outputs: 1, scalars: 4, lets: [],
  results: [clip(add(load(0), signTimes(load(1), scalar(0), scalar(1))), scalar(2), scalar(3))],
};

const PGD_STEP: KernelDef = {
  // inputs x, current, g; scalars step, -step, lo, hi, eps, -eps
  name: 'pgdStep', inputs: 3, outputs: 1, scalars: 6,
  lets: [
    ['stepped', clip(add(load(1), signTimes(load(2), scalar(0), scalar(1))), scalar(2), scalar(3))],
    ['eta', clip(sub(ref('stepped'), load(0)), scalar(5), scalar(4))],
  ],
  results: [clip(add(load(0), ref('eta')), scalar(2), scalar(3))],
};

/** Pointers are byte offsets of float32 arrays in the memory; n is their common length. */
export interface SimdKernels {
  adam(w: number, g: number, m: number, v: number, wOut: number, mOut: number, vOut: number, n: number,
    learningRate: number, beta1: number, oneMinusBeta1: number, beta2: number, oneMinusBeta2: number, epsilon: number): void;
  signStep(x: number, g: number, out: number, n: number, scale: number, negScale: number, min: number, max: number): void;
  pgdStep(x: number, current: number, g: number, out: number, n: number,
    step: number, negStep: number, min: number, max: number, eps: number, negEps: number): void;
}

let compiled: object | undefined;

/** The kernels, working on `memory`, a WebAssembly.Memory (compiled once per process, instantiated per memory). */
export function simdKernels(memory: object): SimdKernels {
  compiled ??= compile(assemble([ADAM, SIGN_STEP, PGD_STEP]));
  return instantiate(compiled, memory) as unknown as SimdKernels;
}
