import { disposeAll, keep, tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { customOp } from './custom-ops.js';

export interface AdamConfig {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** Keras defaults except the protocol's learning rate 1.2e-3 (docs/PROTOCOL.md, Training). */
export const ADAM_DEFAULTS: AdamConfig = { learningRate: 1.2e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

/** One Adam update of w with gradient g and moments m, v, at the step's learning rate: [w', m', v']. */
function adamStep(w: Tensor, g: Tensor, state: { m: Tensor; v: Tensor }, attrs: AdamConfig): Tensor[] {
  const { learningRate, beta1, beta2, epsilon } = attrs;
  return customOp('adam', { w, g, m: state.m, v: state.v }, attrs, () => {
    const m = op.add(op.mul(state.m, beta1), op.mul(g, 1 - beta1));
    const v = op.add(op.mul(state.v, beta2), op.mul(op.square(g), 1 - beta2));
    return [op.sub(w, op.mul(op.div(m, op.add(op.sqrt(v), epsilon)), learningRate)), m, v];
  }, [w.shape, w.shape, w.shape]);
}

/**
 * Adam in the Keras/TensorFlow form: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t),
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, w = w - lr_t * m / (sqrt(v) + eps).
 * Owns its moment tensors; reset() returns it to step 0 (a fresh optimiser for each pruning round).
 */
export class Adam {
  private moments: { m: Tensor; v: Tensor }[] | undefined;
  private t = 0;

  constructor(readonly config: AdamConfig = ADAM_DEFAULTS) {}

  get step(): number {
    return this.t;
  }

  /**
   * New parameters after one step on the gradients, each multiplied by its mask first where `masks` are given
   * (a training step's gradient with respect to W of L(W * M): dL/dE * M). The caller disposes the old parameters
   * and the gradients.
   */
  apply(params: readonly Tensor[], grads: readonly Tensor[], masks?: readonly Tensor[]): Tensor[] {
    const { learningRate, beta1, beta2, epsilon } = this.config;
    this.moments ??= params.map((p) => ({ m: keep(op.zerosLike(p)), v: keep(op.zerosLike(p)) }));
    this.t++;
    const attrs = { learningRate: (learningRate * Math.sqrt(1 - beta2 ** this.t)) / (1 - beta1 ** this.t), beta1, beta2, epsilon };
    return params.map((p, i) => {
      const state = this.moments![i]!;
      const mask = masks?.[i];
      const [next, m, v] = tidy(() => (mask
        ? customOp('maskedAdam', { w: p, g: grads[i]!, mask, m: state.m, v: state.v }, attrs,
          () => adamStep(p, op.mul(grads[i]!, mask), state, attrs), [p.shape, p.shape, p.shape])
        : adamStep(p, grads[i]!, state, attrs))) as [Tensor, Tensor, Tensor];
      disposeAll([state.m, state.v]);
      state.m = keep(m);
      state.v = keep(v);
      return keep(next);
    });
  }

  reset(): void {
    disposeAll(this.moments?.map((s) => [s.m, s.v]));
    this.moments = undefined;
    this.t = 0;
  }
}
