import { tidy } from '../autodiff/engine.js';
import type { Tensor } from '../autodiff/tensor.js';
import { customOp } from '../nn/custom-ops.js';
import { inputGradient, predictedTargets, signStep, type AttackSpec } from './attack.js';

/**
 * FGSM: x_adv = clip(x + eps * sign(grad_x CE(pred(x), f(x))), 0, 1). A backend may run the whole attack as one
 * custom kernel (nn/custom-ops.ts, fgsmAttack), defined by this composition.
 */
export function fgsm(effective: readonly Tensor[], x: Tensor, spec: AttackSpec): Tensor {
  return tidy(() => customOp('fgsmAttack', { x, weights: effective }, { eps: spec.eps, min: spec.clipMin, max: spec.clipMax }, () => [
    signStep(x, inputGradient(effective, x, predictedTargets(effective, x)), spec.eps, spec),
  ], [x.shape])[0]!);
}
