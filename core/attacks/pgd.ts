import { tidy } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { customOp } from '../nn/custom-ops.js';
import type { Classifier } from '../nn/model.js';
import type { UniformSource } from '../nn/trial-rngs.js';
import { uniformNoise } from '../nn/uniform-noise.js';
import { inputGradient, predictedTargets, signStep, type AttackSpec } from './attack.js';

/**
 * PGD (Madry et al., as in cleverhans), docs/PROTOCOL.md, Attacks:
 *   x_0 = clip(x + U(-eps, eps), 0, 1)                        (random start)
 *   x'  = clip(x_t + step * sign(grad CE(x_t)), 0, 1)
 *   eta = clip(x' - x, -eps, eps);  x_{t+1} = clip(x + eta, 0, 1)
 * with the labels predicted on the clean x, fixed for all iterations. The random start is drawn here from the
 * trial's stream (on the device where the backend can draw the host's numbers: nn/uniform-noise.ts); a model's
 * own kernel may run the rest at once (models/kernels.ts, pgd), defined by this composition.
 */
export function pgd(c: Classifier, x: Tensor, spec: AttackSpec, rng: UniformSource): Tensor {
  return tidy(() => {
    const noise = spec.randomStart ? [uniformNoise(rng, x.shape, -spec.eps, spec.eps)] : [];
    const attrs = { step: spec.step, eps: spec.eps, min: spec.clipMin, max: spec.clipMax, iterations: spec.iterations };
    const composition = () => iterate(c, x, noise[0], spec);
    return c.spec.kernels ? c.spec.kernels.pgd(c.params, x, noise, attrs, composition) : composition();
  });
}

/** The composition of the whole attack: labels, start and iterations. */
function iterate(c: Classifier, x: Tensor, noise: Tensor | undefined, spec: AttackSpec): Tensor {
  const targets = predictedTargets(c, x);
  let current = noise ? op.clip(op.add(x, noise), spec.clipMin, spec.clipMax) : x;
  for (let i = 0; i < spec.iterations; i++) {
    const previous = current;
    current = tidy(() => projectedStep(x, previous, inputGradient(c, previous, targets), spec));
    if (previous !== x) previous.dispose();
  }
  return current;
}

/** One PGD iteration from `current` with its input gradient g: a signed step, projected onto the eps-ball of x. */
export const projectedStep = (x: Tensor, current: Tensor, g: Tensor, spec: AttackSpec): Tensor => {
  const attrs = { step: spec.step, eps: spec.eps, min: spec.clipMin, max: spec.clipMax };
  return customOp('pgdStep', { x, current, g }, attrs, () => {
    const stepped = signStep(current, g, spec.step, spec);
    const eta = op.clip(op.sub(stepped, x), -spec.eps, spec.eps);
    return [op.clip(op.add(x, eta), spec.clipMin, spec.clipMax)];
  }, [x.shape])[0]!;
};
