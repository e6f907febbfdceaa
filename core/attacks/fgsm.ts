import { tidy } from '../autodiff/engine.js';
import type { Tensor } from '../autodiff/tensor.js';
import { inputGradient, predictedTargets, signStep, type AttackSpec } from './attack.js';

/** FGSM: x_adv = clip(x + eps * sign(grad_x CE(pred(x), f(x))), 0, 1). */
export function fgsm(effective: readonly Tensor[], x: Tensor, spec: AttackSpec): Tensor {
  return tidy(() => signStep(x, inputGradient(effective, x, predictedTargets(effective, x)), spec.eps, spec));
}
