import { fromHost, tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { customOp } from '../nn/custom-ops.js';
import type { UniformSource } from '../nn/trial-rngs.js';
import { inputGradient, predictedTargets, signStep, type AttackSpec } from './attack.js';

/**
 * PGD (Madry et al., as in cleverhans), docs/PROTOCOL.md, Attacks:
 *   x_0 = clip(x + U(-eps, eps), 0, 1)                        (random start)
 *   x'  = clip(x_t + step * sign(grad CE(x_t)), 0, 1)
 *   eta = clip(x' - x, -eps, eps);  x_{t+1} = clip(x + eta, 0, 1)
 * with the labels predicted on the clean x, fixed for all iterations.
 */
export function pgd(effective: readonly Tensor[], x: Tensor, spec: AttackSpec, rng: UniformSource): Tensor {
  return tidy(() => {
    const targets = predictedTargets(effective, x);
    let current = x;
    if (spec.randomStart) {
      const eta = fromHost(rng.uniformArray(x.size, -spec.eps, spec.eps), x.shape);
      current = op.clip(op.add(x, eta), spec.clipMin, spec.clipMax);
    }
    for (let i = 0; i < spec.iterations; i++) {
      const previous = current;
      current = tidy(() => {
        const g = inputGradient(effective, previous, targets);
        const attrs = { step: spec.step, eps: spec.eps, min: spec.clipMin, max: spec.clipMax };
        return customOp('pgdStep', { x, current: previous, g }, attrs, () => {
          const stepped = signStep(previous, g, spec.step, spec);
          const eta = op.clip(op.sub(stepped, x), -spec.eps, spec.eps);
          return [op.clip(op.add(x, eta), spec.clipMin, spec.clipMax)];
        }, [x.shape])[0]!;
      });
      if (previous !== x) previous.dispose();
    }
    return current;
  });
}
