/**
 * The tfjs adapter's fused kernels (backends/backend.ts, FusedAttrs). Each runs the tfjs kernels that the
 * primitive kernels (kernels.ts) would run for the composition that defines it, with the same operands in the
 * same order, so its results equal the composition's; what it saves is the core's per-primitive work
 * (binding, shape inference, the gradient tape) and the kernels whose results the composition discards.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { FusedKernels } from '../backend.js';
import type { ScalarCache } from './caches.js';
import { clipValues, type RunKernel } from './kernels.js';
import type { MatmulPlanner } from './matmul.js';
import type { WasmHeap } from './simd/heap.js';

export interface FusedContext {
  readonly kernel: RunKernel;
  readonly scalars: ScalarCache;
  /** An internal rank-0 constant, owned by the adapter. */
  readonly constant: (value: number) => TfTensor;
  readonly matmul: MatmulPlanner;
  /** tfjs-wasm's heap: the elementwise kernels then run as one-pass SIMD loops (simd/kernels.ts). */
  readonly heap?: WasmHeap;
}

/** Tracks a fused kernel's intermediates: every tensor registered is freed at the end unless it is returned. */
interface Scope {
  /** Register an intermediate. */
  t(x: TfTensor): TfTensor;
  /** A shared rank-0 float32 tensor holding fround(value), as the core's scalar operands are. */
  scalar(value: number): TfTensor;
}

export function tfjsFused({ kernel, scalars, constant, matmul, heap }: FusedContext): FusedKernels<TfTensor> {
  const scoped = (fn: (s: Scope) => TfTensor[]): TfTensor[] => {
    const temps: TfTensor[] = [];
    const held: TfTensor[] = [];
    let outputs: TfTensor[] = [];
    try {
      outputs = fn({
        t: (x) => (temps.push(x), x),
        scalar: (value) => {
          const x = scalars.acquire(Math.fround(value));
          held.push(x);
          return x;
        },
      });
      return outputs;
    } finally {
      for (const x of temps) if (!outputs.includes(x)) x.dispose();
      for (const x of held) scalars.release(x);
    }
  };

  const mul = (a: TfTensor, b: TfTensor) => kernel('Multiply', { a, b });
  const add = (a: TfTensor, b: TfTensor) => kernel('Add', { a, b });
  const sub = (a: TfTensor, b: TfTensor) => kernel('Sub', { a, b });
  const clip = (x: TfTensor, min: number, max: number) => clipValues(kernel, constant, x, min, max);
  const step = (x: TfTensor) => kernel('Step', { x }, { alpha: 0 });
  /**
   * sign(g) * scale in three kernels instead of five (kernels.ts' sign is step(g) - step(-g), then a product):
   * g * 2^100 * 2^100 is at least 2^51 in magnitude for every nonzero float32 g (the smallest subnormal is
   * 2^-149; larger ones overflow to infinity), so clipping it to [-scale, scale] gives +-fround(scale), and
   * 0 for g = 0: the same values for every g but NaN. A zero scale keeps the composition (tfjs-wasm's clip
   * needs min < max).
   */
  const signTimes = (s: Scope, g: TfTensor, scale: number) => {
    const bound = Math.fround(scale);
    if (!(bound > 0)) return mul(s.t(sub(s.t(step(g)), s.t(step(s.t(kernel('Neg', { x: g })))))), s.scalar(scale));
    const scaled = s.t(mul(s.t(mul(g, s.scalar(2 ** 100))), s.scalar(2 ** 100)));
    return clip(scaled, -bound, bound);
  };
  /** clip(x + sign(g) * scale, min, max): the composition of signStep. */
  const signStep = (s: Scope, x: TfTensor, g: TfTensor, scale: number, min: number, max: number) =>
    clip(s.t(add(x, s.t(signTimes(s, g, scale)))), min, max);

  const composed: FusedKernels<TfTensor> = {
    adam: ([p, g, m, v], { learningRate, beta1, beta2, epsilon }) =>
      scoped((s) => {
        const [w, grad] = [p!.handle, g!.handle];
        const m2 = s.t(add(s.t(mul(m!.handle, s.scalar(beta1))), s.t(mul(grad, s.scalar(1 - beta1)))));
        const v2 = s.t(add(s.t(mul(v!.handle, s.scalar(beta2))), s.t(mul(s.t(mul(grad, grad)), s.scalar(1 - beta2)))));
        const denominator = s.t(add(s.t(kernel('Sqrt', { x: v2 })), s.scalar(epsilon)));
        const next = sub(w, s.t(mul(s.t(kernel('RealDiv', { a: m2, b: denominator })), s.scalar(learningRate))));
        return [next, m2, v2];
      }),

    signStep: ([x, g], { scale, min, max }) => scoped((s) => [signStep(s, x!.handle, g!.handle, scale, min, max)]),

    pgdStep: ([x, current, g], { step: size, eps, min, max }) =>
      scoped((s) => {
        const stepped = s.t(signStep(s, current!.handle, g!.handle, size, min, max));
        const eta = s.t(clip(s.t(sub(stepped, x!.handle)), -eps, eps));
        return [clip(s.t(add(x!.handle, eta)), min, max)];
      }),

    mlpInputGradient: ([x, targets, ...weights]) =>
      scoped((s) => {
        // Forward: the pre-activations are kept for the ReLU masks (maximum's VJP: g * (a > 0)). Attacks call
        // this kernel with the same weights again (PGD) or train on them next (FGSM): pack them now.
        const preActivations: TfTensor[] = [];
        let h = x!.handle;
        weights.forEach((w, i) => {
          const a = s.t(matmul(h, w.handle, false, false, true));
          preActivations.push(a);
          h = i < weights.length - 1 ? s.t(clip(a, 0, Infinity)) : a;
        });
        // logSoftmax's forward as far as its gradient needs it: shifted = z - max(z), e = exp(shifted), S = sum(e).
        const logits = h;
        const shifted = s.t(sub(logits, s.t(kernel('Max', { x: logits }, { reductionIndices: [1], keepDims: true }))));
        const e = s.t(kernel('Exp', { x: shifted }));
        const total = s.t(kernel('Sum', { x: e }, { axis: [1], keepDims: true }));
        // Backward of -mean(sum(targets * logSoftmax)): d(logSoftmax) = c * targets with c = fround(-1 / n)
        // (the seed 1, negated, divided by n); then through shifted - log(S) and exp.
        const n = x!.shape[0]!;
        const dLogSoftmax = s.t(mul(s.t(kernel('Fill', {}, { shape: [...targets!.shape], value: Math.fround(-1 / n), dtype: 'float32' })), targets!.handle));
        const dLogTotal = s.t(kernel('Sum', { x: s.t(kernel('Neg', { x: dLogSoftmax })) }, { axis: [1], keepDims: true }));
        const dTotal = s.t(kernel('RealDiv', { a: dLogTotal, b: total }));
        let g = s.t(add(dLogSoftmax, s.t(mul(dTotal, e))));
        for (let i = weights.length - 1; i >= 0; i--) {
          if (i < weights.length - 1) g = s.t(mul(g, s.t(step(preActivations[i]!))));
          g = s.t(matmul(g, weights[i]!.handle, false, true));
        }
        return [g];
      }),
  };
  return heap ? { ...composed, ...onHeap(heap) } : composed;
}

/** adam, signStep and pgdStep as one-pass SIMD loops over tfjs-wasm's heap. */
function onHeap({ kernels, alloc, offset }: WasmHeap): FusedKernels<TfTensor> {
  return {
    adam: ([w, g, m, v], { learningRate, beta1, beta2, epsilon }) => {
      const outputs = [alloc(w!.shape), alloc(w!.shape), alloc(w!.shape)] as const;
      kernels.adam(offset(w!.handle), offset(g!.handle), offset(m!.handle), offset(v!.handle), ...outputs.map(offset) as [number, number, number],
        w!.handle.size, learningRate, beta1, 1 - beta1, beta2, 1 - beta2, epsilon);
      return [...outputs];
    },
    signStep: ([x, g], { scale, min, max }) => {
      const out = alloc(x!.shape);
      kernels.signStep(offset(x!.handle), offset(g!.handle), offset(out), x!.handle.size, scale, -scale, min, max);
      return [out];
    },
    pgdStep: ([x, current, g], { step, eps, min, max }) => {
      const out = alloc(x!.shape);
      kernels.pgdStep(offset(x!.handle), offset(current!.handle), offset(g!.handle), offset(out), x!.handle.size, step, -step, min, max, eps, -eps);
      return [out];
    },
  };
}
