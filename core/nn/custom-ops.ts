/**
 * The compositions of the library that a backend may accelerate as custom kernels (autodiff/backend.ts,
 * `custom`), with their inputs and attributes. Each is defined by the composition at its one call site, which
 * runs wherever a backend has no kernel of that name, and which is the kernel's test oracle. Scalars in the
 * compositions are float32 tensors: a kernel that rounds its scalar attributes to float32 and evaluates the same
 * float32 operations in the same order reproduces the composition exactly.
 *
 * None of this is part of the Backend contract: a backend opts in by name, and a new layer type or loss needs no
 * backend change (its composition runs).
 */
import type { TensorInfo } from '../autodiff/backend.js';
import { custom, type CustomGradient } from '../autodiff/engine.js';
import type { Shape } from '../autodiff/primitives.js';
import type { Tensor } from '../autodiff/tensor.js';
import type { LossForm } from './loss-forms.js';

/** The kernels' inputs and attributes; `T` is Tensor at the call sites and TensorInfo<H> in a backend. */
export interface CustomOps<T> {
  /**
   * Adam (nn/adam.ts); outputs [w', m', v']:
   * m' = m*b1 + g*(1-b1);  v' = v*b2 + (g*g)*(1-b2);  w' = w - (m' / (sqrt(v') + epsilon)) * learningRate.
   */
  adam: { inputs: { w: T; g: T; m: T; v: T }; attrs: { learningRate: number; beta1: number; beta2: number; epsilon: number } };
  /**
   * Adam on a masked gradient (nn/adam.ts; a training step's d/dW L(W * M) = dL/dE * M): adam with g * mask,
   * mul(g, mask) computed as the mul primitive does; outputs [w', m', v'].
   */
  maskedAdam: { inputs: { w: T; g: T; mask: T; m: T; v: T }; attrs: { learningRate: number; beta1: number; beta2: number; epsilon: number } };
  /**
   * The effective weights of every layer (nn/model.ts, effectiveWeights): weights W_i and masks M_i of one shape
   * each; outputs [W_1 * M_1, W_2 * M_2, ...], each product as the mul primitive computes it.
   */
  maskWeights: { inputs: { weights: readonly T[]; masks: readonly T[] }; attrs: Record<string, never> };
  /** Signed gradient step (attacks/attack.ts); output clip(x + sign(g)*scale, min, max). */
  signStep: { inputs: { x: T; g: T }; attrs: { scale: number; min: number; max: number } };
  /**
   * One PGD iteration (attacks/pgd.ts); output
   * clip(x + clip(clip(current + sign(g)*step, min, max) - x, -eps, eps), min, max).
   */
  pgdStep: { inputs: { x: T; current: T; g: T }; attrs: { step: number; eps: number; min: number; max: number } };
  /**
   * The whole FGSM attack (attacks/fgsm.ts) on x [n, d_0] against weights W_i [d_(i-1), d_i]: the labels predicted
   * on x (mlpForward, argmax, one-hot), the input gradient of their cross-entropy (mlpInputGradient) and the
   * signed step (signStep, scale eps); output [n, d_0]. One forward pass serves the labels and the gradient.
   */
  fgsmAttack: { inputs: { x: T; weights: readonly T[] }; attrs: { eps: number; min: number; max: number } };
  /**
   * The whole PGD attack (attacks/pgd.ts) on x [n, d_0]: the labels predicted on x, the start clip(x + noise,
   * min, max) (x itself when `noise` is empty), then `iterations` of pgdStep on mlpInputGradient; output [n, d_0].
   */
  pgdAttack: {
    inputs: { x: T; noise: readonly T[]; weights: readonly T[] };
    attrs: { step: number; eps: number; min: number; max: number; iterations: number };
  };
  /**
   * A hidden dense layer without bias (nn/dense-relu.ts): relu(x @ w), x [..., n, in], w [..., in, out], the
   * leading axes broadcast as matmul's; output [..., n, out]. The engine records it on a tape with
   * denseReluGradient as its gradient.
   */
  denseRelu: { inputs: { x: T; w: T }; attrs: Record<string, never> };
  /**
   * Its cotangents given `cotangent`, that of its output `activation`, as the backward pass through relu and the
   * product computes them: with z = cotangent * (activation > 0), outputs [z @ w^T if `inputGradient`,
   * x^T @ z if `weightGradient`], each in the product's broadcast shape. (activation > 0) is (x @ w > 0) wherever
   * x @ w is a number or NaN, as relu keeps the positive values and makes every other one 0 or NaN.
   */
  denseReluGradient: {
    inputs: { x: T; w: T; activation: T; cotangent: T };
    attrs: { inputGradient: boolean; weightGradient: boolean };
  };
  /**
   * The logits of a batch (nn/model.ts, logits): x [n, d_0], weights W_i [d_(i-1), d_i]; output [n, d_L] =
   * relu(...relu(x @ W_1)...) @ W_L, as the composition forward() computes it.
   */
  mlpForward: { inputs: { x: T; weights: readonly T[] }; attrs: Record<string, never> };
  /**
   * The attacks' input gradient (attacks/attack.ts, inputGradient), x [n, d_0], targets [n, d_L], weights
   * W_i [d_(i-1), d_i]; output [n, d_0]: the gradient with respect to x of mean_n CE(targets, softmax(f(x))),
   * f(x) = relu(...relu(x @ W_1)...) @ W_L, evaluated as reverse-mode autodiff of that composition does.
   */
  mlpInputGradient: { inputs: { x: T; targets: T; weights: readonly T[] }; attrs: Record<string, never> };
  /**
   * The cross-entropy per network (nn/loss.ts, networkCrossEntropy) of logits and targets of one shape
   * [..., n, classes]; output [...] (a scalar for [n, classes]): -(sum over rows of sum(targets * log p)) / n, the
   * sums in order from 0, log p in the form `form`: log_softmax(logits) = shifted - log(sum(exp(shifted))) with
   * shifted = logits - max(logits), or log(clip(p / sum(p), KERAS_EPSILON, 1 - KERAS_EPSILON)) with
   * p = exp(log_softmax(logits)). The engine records it on a tape with crossEntropyGradient as its gradient.
   */
  crossEntropy: { inputs: { logits: T; targets: T }; attrs: { form: LossForm } };
  /**
   * Its gradient with respect to the logits given `cotangent`, the cotangent of its value (shape [...]); output
   * [..., n, classes], as the backward pass of reverse-mode autodiff through the composition computes it (grad.ts, vjp).
   */
  crossEntropyGradient: { inputs: { logits: T; targets: T; cotangent: T }; attrs: { form: LossForm } };
  /**
   * Rows of a table kept on the device (core/nn/gather-rows.ts): `parts` P_k [rows_k, width] are the table's rows
   * in order, cut into parts where one buffer would not hold them all; `indices` [..., n] are row numbers as
   * float32 (exact below 2^24); output [..., n, width], row i the table's row indices[i], and a row of +0 for an
   * index that is not a row number. The composition selects rows by a 0/1 matrix product, so it equals the copy
   * for tables of finite values without -0 (the only ones its caller keeps on the device).
   */
  gatherRows: { inputs: { parts: readonly T[]; indices: T }; attrs: Record<string, never> };
  /**
   * A training step's loss and its gradient with respect to the effective weights (nn/train-step.ts): with one
   * batch CE(targets, f(x)), with two 0.5 CE(targets, f(x)) + 0.5 CE(targets, f(x_adv)), plus l1 * sum |W_i|
   * when l1 > 0, the cross-entropy computed in the form `loss` (nn/loss.ts); outputs [loss (shape []),
   * dL/dW_1, ..., dL/dW_L] as reverse-mode autodiff computes them.
   */
  mlpTrainingGradients: { inputs: { batches: readonly T[]; targets: T; weights: readonly T[] }; attrs: { l1: number; loss: LossForm } };
  /**
   * Uniform noise from xoshiro128** generators (nn/uniform-noise.ts): states [T, 8], each network's generator
   * state (Rng.state) as eight 16-bit halves in float32, word 0's low half first; output [T * count] values in
   * the call site's shape: network t's Rng.uniformArray(count, low, high) drawn from its state, at t * count.
   * Its composition is that draw on the host, which also advances the generators; where the kernel ran, the call
   * site advances them by count instead.
   */
  uniformNoise: { inputs: { states: T }; attrs: { count: number; low: number; high: number } };
}

export type CustomOpName = keyof CustomOps<unknown>;

/** A backend's kernels for the library's custom ops (any subset), typed by this catalogue. */
export type LibraryKernels<H> = {
  readonly [K in CustomOpName]?: (inputs: CustomOps<TensorInfo<H>>[K]['inputs'], attrs: CustomOps<unknown>[K]['attrs']) => H[] | undefined;
};

/** A typed call of engine.custom() for one of the library's custom ops. */
export const customOp = <K extends CustomOpName>(
  name: K, inputs: CustomOps<Tensor>[K]['inputs'], attrs: CustomOps<unknown>[K]['attrs'], composition: () => Tensor[], outputs: readonly Shape[],
  gradient?: CustomGradient,
): Tensor[] => custom(name, inputs, attrs, composition, outputs, gradient);
