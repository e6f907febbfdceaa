/**
 * The native backend's fused MLP kernels (backends/backend.ts, FusedAttrs: mlpInputGradient and
 * mlpTrainingGradients): the forward pass, the softmax cross-entropy and the backward pass of
 * relu(...relu(x @ W_1)...) @ W_L in one call, with the matrix products on sgemm or, for weights with a compact
 * form, on the sparse kernels (sparse.ts). They evaluate the composition's formulas in the same order
 * (core/autodiff/ops.ts softmaxCrossEntropy and the VJP rules of core/autodiff/vjp.ts); what they save is the
 * core's per-primitive work, which at batch 60 costs more than the products of a pruned network. The
 * adversarial training loss stacks x and x_adv into one batch of 2n rows for the weight gradients (the same
 * sum, in another order: equal to the composition within float32 rounding).
 */
import type { FusedAttrs, FusedKernels, TensorInfo } from '../backend.js';
import { BINARY_CODES, type NativeAddon } from './addon.js';
import type { BufferPool } from './pool.js';
import type { SparseKernels } from './sparse.js';

type Handle = Float32Array | Int32Array;
type Info = TensorInfo<Handle>;

const ZERO = new Float32Array(1);

interface Pass {
  /** Pre-activations of the hidden layers (for relu'), activations h_0 = x, h_1, ..., h_(L-1), and the logits. */
  readonly pre: Float32Array[];
  readonly acts: Float32Array[];
  readonly logits: Float32Array;
}

export function mlpKernels(addon: NativeAddon, pool: BufferPool, sparse: SparseKernels | undefined): Pick<FusedKernels<Handle>, 'mlpInputGradient' | 'mlpTrainingGradients'> {
  const f32 = (t: Info): Float32Array => {
    sparse?.materialize(t.handle);
    return t.handle as Float32Array;
  };
  /** h [m, k] @ W (or W^T): the sparse kernel when W has a compact form, else sgemm. */
  const product = (h: Float32Array, m: number, w: Info, transposeB: boolean): Float32Array => {
    const [rows, cols] = [w.shape[0]!, w.shape[1]!];
    const [k, n] = transposeB ? [cols, rows] : [rows, cols];
    const info = { handle: h, shape: [m, k], dtype: 'float32' } as const;
    const out = { shape: [m, n], dtype: 'float32' } as const;
    const viaSparse = sparse?.matmul(info, w, false, transposeB, out);
    if (viaSparse) return viaSparse;
    const result = pool.float32(m * n);
    addon.matmul(h, f32(w), result, m, n, k, 0, transposeB ? 1 : 0);
    return result;
  };
  /** h^T g ([m, k]^T [m, n]): deferred to the kept positions of a live sparse mask of its shape, else sgemm. */
  const weightGradient = (h: Float32Array, g: Float32Array, m: number, k: number, n: number): Float32Array => {
    const out = { shape: [k, n], dtype: 'float32' } as const;
    const deferred = sparse?.matmul({ handle: h, shape: [m, k], dtype: 'float32' }, { handle: g, shape: [m, n], dtype: 'float32' }, true, false, out);
    if (deferred) return deferred;
    const result = pool.float32(k * n);
    addon.matmul(h, g, result, k, n, m, 1, 0);
    return result;
  };

  const forward = (x: Float32Array, m: number, weights: readonly Info[], temps: Float32Array[]): Pass => {
    const pre: Float32Array[] = [];
    const acts: Float32Array[] = [x];
    let h = x;
    weights.forEach((w, i) => {
      const z = product(h, m, w, false);
      temps.push(z);
      if (i === weights.length - 1) return;
      pre.push(z);
      h = pool.float32(z.length);
      temps.push(h);
      addon.binary(BINARY_CODES.maximum, z, ZERO, h, 1, 0);
      acts.push(h);
    });
    return { pre, acts, logits: temps[temps.length - 1]! };
  };

  /**
   * -mean_n sum_j targets * logSoftmax(logits) (returned) and, in `grad` (rows from `offset`), the gradient of
   * the logits for a cotangent -c n of the loss: c * t - (sum_j c * t) / S * exp(shifted).
   */
  const softmaxCrossEntropy = (logits: Float32Array, t: Float32Array, n: number, classes: number, c: number, grad: Float32Array): number => {
    let total = 0;
    const e = new Float64Array(classes);
    for (let i = 0; i < n; i++) {
      const row = i * classes;
      let max = -Infinity;
      for (let j = 0; j < classes; j++) {
        const v = logits[row + j]!;
        if (v > max || v !== v) max = v;
      }
      let sum = 0;
      for (let j = 0; j < classes; j++) {
        e[j] = Math.fround(Math.exp(Math.fround(logits[row + j]! - max)));
        sum += e[j]!;
      }
      const s = Math.fround(sum);
      const logS = Math.fround(Math.log(s));
      let rowSum = 0;
      let dTotal = 0;
      for (let j = 0; j < classes; j++) {
        const tj = t[row + j]!;
        rowSum += Math.fround(tj * Math.fround(Math.fround(logits[row + j]! - max) - logS));
        dTotal += -Math.fround(tj * c);
      }
      total += Math.fround(rowSum);
      const scale = Math.fround(Math.fround(dTotal) / s);
      for (let j = 0; j < classes; j++) grad[row + j] = Math.fround(t[row + j]! * c) + Math.fround(scale * e[j]!);
    }
    return -Math.fround(Math.fround(total) / n);
  };

  /** g * (pre > 0), as the VJP of maximum(pre, 0) gives it (relu'(0) = 0), in a new buffer listed in temps. */
  const reluBackward = (g: Float32Array, pre: Float32Array, temps: Float32Array[]): Float32Array => {
    const open = pool.float32(pre.length);
    addon.binary(BINARY_CODES.greater, pre, ZERO, open, 1, 0);
    const out = pool.float32(pre.length);
    addon.binary(BINARY_CODES.mul, g, open, out, 1, 1);
    pool.release(open);
    temps.push(out);
    return out;
  };

  const release = (temps: Float32Array[], keep: readonly Float32Array[] = []): void => {
    for (const t of new Set(temps)) if (!keep.includes(t)) pool.release(t);
  };

  return {
    mlpInputGradient([x, targets, ...weights]) {
      const m = x!.shape[0]!;
      const temps: Float32Array[] = [];
      const pass = forward(f32(x!), m, weights, temps);
      const classes = weights[weights.length - 1]!.shape[1]!;
      let g = pool.float32(m * classes);
      temps.push(g);
      softmaxCrossEntropy(pass.logits, f32(targets!), m, classes, Math.fround(-1 / m), g);
      for (let i = weights.length - 1; i >= 0; i--) {
        if (i < weights.length - 1) g = reluBackward(g, pass.pre[i]!, temps);
        g = product(g, m, weights[i]!, true);
        temps.push(g);
      }
      release(temps, [g]);
      return [g];
    },

    mlpTrainingGradients(inputs, { adversarial }: FusedAttrs['mlpTrainingGradients']) {
      const [x, xAdv, targets, weights] = adversarial
        ? [inputs[0]!, inputs[1]!, inputs[2]!, inputs.slice(3)]
        : [inputs[0]!, undefined, inputs[1]!, inputs.slice(2)];
      const n = x.shape[0]!;
      const halves = xAdv ? 2 : 1;
      const m = n * halves;
      let batch = f32(x);
      const temps: Float32Array[] = [];
      if (xAdv) {
        batch = pool.float32(batch.length * 2);
        batch.set(f32(x));
        batch.set(f32(xAdv), f32(x).length);
        temps.push(batch);
      }
      const pass = forward(batch, m, weights, temps);
      const classes = weights[weights.length - 1]!.shape[1]!;
      const c = Math.fround((xAdv ? -0.5 : -1) / n);
      const t = f32(targets);
      let g = pool.float32(m * classes);
      temps.push(g);
      let loss = 0;
      for (let half = 0; half < halves; half++) {
        const rows = n * classes;
        const part = softmaxCrossEntropy(pass.logits.subarray(half * rows, (half + 1) * rows), t, n, classes, c, g.subarray(half * rows, (half + 1) * rows));
        loss = half === 0 ? part : Math.fround(Math.fround(loss + part) * 0.5);
      }
      const grads: Float32Array[] = [];
      for (let i = weights.length - 1; i >= 0; i--) {
        if (i < weights.length - 1) g = reluBackward(g, pass.pre[i]!, temps);
        const [k, cols] = [weights[i]!.shape[0]!, weights[i]!.shape[1]!];
        grads[i] = weightGradient(pass.acts[i]!, g, m, k, cols);
        if (i > 0) {
          g = product(g, m, weights[i]!, true);
          temps.push(g);
        }
      }
      release(temps);
      const value = pool.float32(1);
      value[0] = loss;
      return [value, ...grads];
    },
  };
}
