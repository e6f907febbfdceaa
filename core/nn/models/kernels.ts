/**
 * A model's own accelerations: compositions a backend may run as custom kernels (autodiff/engine.ts, custom).
 * Each hook is handed the composition that defines its result (and is its test oracle) and returns either a
 * custom op of that composition or the composition itself. A model without `kernels` runs its compositions;
 * a kernel made for one model's structure (models/mlp-kernels.ts) is attached to that model's file only.
 */
import type { Shape } from '../../autodiff/primitives.js';
import type { Tensor } from '../../autodiff/tensor.js';
import type { LossForm } from '../loss.js';

export interface AttackBounds {
  readonly eps: number;
  readonly min: number;
  readonly max: number;
}

export interface ModelKernels {
  /** The logits of a batch where no gradient is taken through them (the attacks' labels, evaluation). */
  logits(params: readonly Tensor[], x: Tensor, composition: () => Tensor): Tensor;
  /** grad_x of the mean un-smoothed cross-entropy of the logits against fixed targets. */
  inputGradient(params: readonly Tensor[], x: Tensor, targets: Tensor, composition: () => Tensor): Tensor;
  /** [loss, dL/dparam...] of a training step on one batch or a clean and an adversarial batch. */
  trainingGradients(
    params: readonly Tensor[], batches: readonly Tensor[], targets: Tensor, attrs: { l1: number; loss: LossForm },
    composition: () => Tensor[], outputs: readonly Shape[],
  ): Tensor[];
  /** The whole FGSM attack. */
  fgsm(params: readonly Tensor[], x: Tensor, bounds: AttackBounds, composition: () => Tensor): Tensor;
  /** The whole PGD attack from a host-drawn start (`noise` empty: no random start). */
  pgd(
    params: readonly Tensor[], x: Tensor, noise: readonly Tensor[], attrs: AttackBounds & { step: number; iterations: number },
    composition: () => Tensor,
  ): Tensor;
}
