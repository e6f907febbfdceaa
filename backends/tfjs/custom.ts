/**
 * The tfjs adapter's kernels for the library's custom ops (core/nn/custom-ops.ts). Each runs the tfjs kernels that the
 * primitive kernels (kernels.ts) would run for the composition that defines it, with the same operands in the
 * same order, so its results equal the composition's; what it saves is the core's per-primitive work
 * (binding, shape inference, the gradient tape) and the kernels whose results the composition discards.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import type { LibraryKernels } from '../../core/nn/custom-ops.js';
import type { ProductCache, ScalarCache } from './caches.js';
import { clipValues } from './kernels.js';
import type { MatmulPlanner, RunKernel } from './types.js';
import type { WasmHeap } from './heap.js';

export interface CustomContext {
  readonly kernel: RunKernel;
  readonly scalars: ScalarCache;
  /** An internal rank-0 constant, owned by the adapter. */
  readonly constant: (value: number) => TfTensor;
  readonly matmul: MatmulPlanner;
  /** Recent products of the matmul primitive (caches.ts): the training step's clean forward pass reuses the attack's. */
  readonly products: ProductCache;
  /** tfjs-wasm's heap: the elementwise kernels then run as one-pass SIMD loops (simd/kernels.ts). */
  readonly heap?: WasmHeap;
}

/** Tracks a custom kernel's intermediates: every tensor registered is freed at the end unless it is returned. */
interface Scope {
  /** Register an intermediate. */
  t(x: TfTensor): TfTensor;
  /** A shared rank-0 float32 tensor holding fround(value), as the core's scalar operands are. */
  scalar(value: number): TfTensor;
}

export function tfjsCustomKernels({ kernel, scalars, constant, matmul, products, heap }: CustomContext): LibraryKernels<TfTensor> {
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

  /** op(a) @ b through the adapter's product cache, as the matmul primitive computes it. */
  const cachedProduct = (a: TfTensor, b: TfTensor): TfTensor => {
    const hit = products.get(a, b, false, false);
    if (hit) return hit;
    const product = matmul(a, b, false, false);
    products.put(a, b, false, false, product);
    return product;
  };

  /** relu(...relu(x @ W_1)...) @ W_L, keeping pre-activations and activations for the backward pass. */
  const forward = (s: Scope, x: TfTensor, weights: readonly TfTensor[], product: (h: TfTensor, w: TfTensor) => TfTensor) => {
    const preActivations: TfTensor[] = [];
    const activations: TfTensor[] = [];
    let h = x;
    weights.forEach((w, i) => {
      const a = product(h, w);
      preActivations.push(a);
      h = i < weights.length - 1 ? s.t(clip(a, 0, Infinity)) : a;
      if (i < weights.length - 1) activations.push(h);
    });
    return { preActivations, activations, logits: h };
  };

  /** logSoftmax's forward as far as its gradient needs it: shifted = z - max(z), e = exp(shifted), S = sum(e). */
  const softmaxParts = (s: Scope, logits: TfTensor) => {
    const shifted = s.t(sub(logits, s.t(kernel('Max', { x: logits }, { reductionIndices: [1], keepDims: true }))));
    const e = s.t(kernel('Exp', { x: shifted }));
    return { shifted, e, total: s.t(kernel('Sum', { x: e }, { axis: [1], keepDims: true })) };
  };

  /** -mean(sum(targets * logSoftmax(logits), 1)) as the composition evaluates it (core/autodiff/ops.ts). */
  const crossEntropyValue = (s: Scope, logits: TfTensor, targets: TfTensor, n: number) => {
    const parts = softmaxParts(s, logits);
    const logSoftmax = s.t(sub(parts.shifted, s.t(kernel('Log', { x: parts.total }))));
    const rows = s.t(kernel('Sum', { x: s.t(mul(targets, logSoftmax)) }, { axis: [1], keepDims: false }));
    const mean = s.t(kernel('RealDiv', { a: s.t(kernel('Sum', { x: rows }, { axis: [0], keepDims: false })), b: s.scalar(n) }));
    return { value: s.t(kernel('Neg', { x: mean })), parts };
  };

  /**
   * The gradient of the logits when the cross-entropy has cotangent -c n: d(logSoftmax) = c * targets, then
   * through shifted - log(S) and exp, as the VJP rules of sub, log, sum and exp give it.
   */
  const logitsGradient = (s: Scope, logits: TfTensor, targets: TfTensor, c: number, parts = softmaxParts(s, logits)) => {
    const dLogSoftmax = s.t(mul(targets, s.scalar(c)));
    const dLogTotal = s.t(kernel('Sum', { x: s.t(kernel('Neg', { x: dLogSoftmax })) }, { axis: [1], keepDims: true }));
    const dTotal = s.t(kernel('RealDiv', { a: dLogTotal, b: parts.total }));
    return s.t(add(dLogSoftmax, s.t(mul(dTotal, parts.e))));
  };

  const composed: LibraryKernels<TfTensor> = {
    adam: (inputs, { learningRate, beta1, beta2, epsilon }) => {
      if (!sameShapes(inputs.w, inputs.g, inputs.m, inputs.v)) return undefined;
      return scoped((s) => {
        const [w, grad] = [inputs.w.handle, inputs.g.handle];
        const m2 = s.t(add(s.t(mul(inputs.m.handle, s.scalar(beta1))), s.t(mul(grad, s.scalar(1 - beta1)))));
        const v2 = s.t(add(s.t(mul(inputs.v.handle, s.scalar(beta2))), s.t(mul(s.t(mul(grad, grad)), s.scalar(1 - beta2)))));
        const denominator = s.t(add(s.t(kernel('Sqrt', { x: v2 })), s.scalar(epsilon)));
        const next = sub(w, s.t(mul(s.t(kernel('RealDiv', { a: m2, b: denominator })), s.scalar(learningRate))));
        return [next, m2, v2];
      });
    },

    signStep: ({ x, g }, { scale, min, max }) =>
      sameShapes(x, g) ? scoped((s) => [signStep(s, x.handle, g.handle, scale, min, max)]) : undefined,

    pgdStep: ({ x, current, g }, { step: size, eps, min, max }) => {
      if (!sameShapes(x, current, g)) return undefined;
      return scoped((s) => {
        const stepped = s.t(signStep(s, current.handle, g.handle, size, min, max));
        const eta = s.t(clip(s.t(sub(stepped, x.handle)), -eps, eps));
        return [clip(s.t(add(x.handle, eta)), min, max)];
      });
    },

    // Written for rank-2 operands (one network); a trial axis is left to the compositions.
    mlpInputGradient: ({ x, targets, weights }) => !allMatrices(x, targets, ...weights) ? undefined :
      scoped((s) => {
        // Attacks call this kernel with the same weights again (PGD) or train on them next (FGSM): on the tfjs
        // kernel path (matmul.ts), pack them now.
        const pass = forward(s, x.handle, weights.map((w) => w.handle), (h, w) => s.t(matmul(h, w, false, false, true)));
        // The seed 1, negated, divided by n.
        let g = logitsGradient(s, pass.logits, targets.handle, Math.fround(-1 / x.shape[0]!));
        for (let i = weights.length - 1; i >= 0; i--) {
          if (i < weights.length - 1) g = s.t(mul(g, s.t(step(pass.preActivations[i]!))));
          g = s.t(matmul(g, weights[i]!.handle, false, true));
        }
        return [g];
      }),

    mlpTrainingGradients: (inputs, { l1, loss }) => {
      // The L1 penalty, the clipped-probability loss and other than one or two batches are left to the composition.
      if (l1 !== 0 || loss !== 'logits' || inputs.batches.length < 1 || inputs.batches.length > 2) return undefined;
      if (!allMatrices(inputs.targets, ...inputs.batches, ...inputs.weights)) return undefined;
      const adversarial = inputs.batches.length === 2;
      return scoped((s) => {
        const batches = inputs.batches.map((b) => b.handle);
        const targets = inputs.targets.handle;
        const weights = inputs.weights.map((w) => w.handle);
        const n = batches[0]!.shape[0]!;
        // Forward passes and losses in the composition's order (clean half, then adversarial half).
        const halves = batches.map((x) => {
          const pass = forward(s, x, weights, (h, w) => s.t(cachedProduct(h, w)));
          return { x, pass, loss: crossEntropyValue(s, pass.logits, targets, n) };
        });
        const value = adversarial
          ? mul(s.t(add(halves[0]!.loss.value, halves[1]!.loss.value)), s.scalar(0.5))
          : halves[0]!.loss.value;
        // Backward, later half first (reverse tape order): each half's loss has cotangent 0.5 (or the seed 1).
        const c = Math.fround(-(adversarial ? 0.5 : 1) / n);
        const grads: (TfTensor | undefined)[] = weights.map(() => undefined);
        for (const { x, pass, loss } of [...halves].reverse()) {
          let g = logitsGradient(s, pass.logits, targets, c, loss.parts);
          for (let i = weights.length - 1; i >= 0; i--) {
            const below = i > 0 ? pass.activations[i - 1]! : x;
            const inputGradient = i > 0 ? s.t(matmul(g, weights[i]!, false, true)) : undefined;
            const weightGradient = s.t(matmul(below, g, true, false));
            grads[i] = grads[i] ? s.t(add(grads[i]!, weightGradient)) : weightGradient;
            if (inputGradient) g = s.t(mul(inputGradient, s.t(step(pass.preActivations[i - 1]!))));
          }
        }
        return [value, ...(grads as TfTensor[])];
      });
    },
  };
  return heap ? { ...composed, ...onHeap(heap) } : composed;
}

/** Whether every operand is a matrix (rank 2). */
const allMatrices = (...infos: readonly { readonly shape: readonly number[] }[]): boolean => infos.every((t) => t.shape.length === 2);

/** Whether tensors all have one shape (the elementwise kernels' requirement; otherwise the composition broadcasts). */
function sameShapes(...infos: readonly { readonly shape: readonly number[] }[]): boolean {
  const [first, ...rest] = infos;
  return rest.every((t) => t.shape.length === first!.shape.length && t.shape.every((d, i) => d === first!.shape[i]));
}

/** adam, signStep and pgdStep as one-pass SIMD loops over tfjs-wasm's heap. */
function onHeap({ kernels, alloc, offset }: WasmHeap): LibraryKernels<TfTensor> {
  return {
    adam: ({ w, g, m, v }, { learningRate, beta1, beta2, epsilon }) => {
      if (!sameShapes(w, g, m, v)) return undefined;
      const outputs = [alloc(w.shape), alloc(w.shape), alloc(w.shape)] as const;
      kernels.adam(offset(w.handle), offset(g.handle), offset(m.handle), offset(v.handle), ...outputs.map(offset) as [number, number, number],
        w.handle.size, learningRate, beta1, 1 - beta1, beta2, 1 - beta2, epsilon);
      return [...outputs];
    },
    signStep: ({ x, g }, { scale, min, max }) => {
      if (!sameShapes(x, g)) return undefined;
      const out = alloc(x.shape);
      kernels.signStep(offset(x.handle), offset(g.handle), offset(out), x.handle.size, scale, -scale, min, max);
      return [out];
    },
    pgdStep: ({ x, current, g }, { step, eps, min, max }) => {
      if (!sameShapes(x, current, g)) return undefined;
      const out = alloc(x.shape);
      kernels.pgdStep(offset(x.handle), offset(current.handle), offset(g.handle), offset(out), x.handle.size, step, -step, min, max, eps, -eps);
      return [out];
    },
  };
}
