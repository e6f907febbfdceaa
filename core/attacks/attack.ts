import { tidy } from '../autodiff/engine.js';
import { grad } from '../autodiff/grad.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { ConfigError } from '../errors.js';
import { crossEntropy } from '../nn/loss.js';
import { customOp } from '../nn/custom-ops.js';
import { logits, type Classifier } from '../nn/model.js';

export type AttackName = 'fgsm' | 'pgd';
export const ATTACKS: readonly AttackName[] = ['fgsm', 'pgd'];

/** L-infinity attack settings (docs/PROTOCOL.md, Attacks). */
export interface AttackSpec {
  readonly name: AttackName;
  readonly eps: number;
  /** PGD step size per iteration (0.05). */
  readonly step: number;
  /** PGD iterations (10). */
  readonly iterations: number;
  /** PGD starts from x + U(-eps, eps) (clipped); FGSM ignores it. */
  readonly randomStart: boolean;
  readonly clipMin: number;
  readonly clipMax: number;
}

export const ATTACK_DEFAULTS: Omit<AttackSpec, 'name'> = {
  eps: 0.3, step: 0.05, iterations: 10, randomStart: true, clipMin: 0, clipMax: 1,
};

export const attackSpec = (name: AttackName, overrides: Partial<AttackSpec> = {}): AttackSpec =>
  validateAttack({ ...ATTACK_DEFAULTS, name, ...overrides });

/** Check an attack's parameters before any work is done (as cleverhans does). */
export function validateAttack(spec: AttackSpec): AttackSpec {
  const fail = (what: string, hint: string) => {
    throw new ConfigError(`invalid ${spec.name} attack: ${what}`, hint);
  };
  if (!ATTACKS.includes(spec.name)) fail(`unknown attack '${spec.name}'`, `use one of: ${ATTACKS.join(', ')}`);
  if (!(Number.isFinite(spec.eps) && spec.eps >= 0)) fail(`eps must be a finite number >= 0, got ${spec.eps}`, 'the protocol uses --eps 0.3');
  if (!(spec.clipMin < spec.clipMax)) fail(`clip range [${spec.clipMin}, ${spec.clipMax}] is empty`, 'inputs live in [0, 1]');
  if (spec.name === 'pgd') {
    if (!(Number.isFinite(spec.step) && spec.step > 0)) fail(`step must be > 0, got ${spec.step}`, 'the protocol uses a step of 0.05');
    if (!(Number.isInteger(spec.iterations) && spec.iterations >= 1)) {
      fail(`iterations must be a whole number >= 1, got ${spec.iterations}`, 'the protocol uses 10 iterations');
    }
  }
  return spec;
}

/** One-hot of the model's own predictions on x: the attack labels (avoids label leaking). */
export const predictedTargets = (c: Classifier, x: Tensor): Tensor =>
  tidy(() => op.oneHot(op.argmax(logits(c, x), -1), c.spec.classes));

/**
 * grad_x of the un-smoothed cross-entropy of the logits against fixed one-hot targets, by autodiff of the
 * model's logits (or the model's own kernel, defined by that autodiff).
 */
export function inputGradient(c: Classifier, x: Tensor, targets: Tensor): Tensor {
  const composition = () => grad((input: Tensor) => crossEntropy(c.spec.logits(c.params, input), targets))(x);
  return c.spec.kernels ? c.spec.kernels.inputGradient(c.params, x, targets, composition) : composition();
}

/** x + scale * sign(g), clipped to the input range. */
export const signStep = (x: Tensor, g: Tensor, scale: number, spec: AttackSpec): Tensor =>
  customOp('signStep', { x, g }, { scale, min: spec.clipMin, max: spec.clipMax }, () => [
    op.clip(op.add(x, op.mul(op.sign(g), scale)), spec.clipMin, spec.clipMax),
  ], [x.shape])[0]!;
