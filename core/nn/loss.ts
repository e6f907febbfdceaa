import { vjp } from '../autodiff/grad.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { ConfigError } from '../errors.js';
import { customOp } from './custom-ops.js';
import { KERAS_EPSILON, type LossForm } from './loss-forms.js';

/**
 * One-hot targets with label smoothing s over K classes: the true class gets 1 - s + s/K, every other s/K
 * (0.91 and 0.01 for s = 0.1, K = 10; docs/PROTOCOL.md, Data). s = 0 gives plain one-hot targets.
 */
export function smoothedTargets(labels: ArrayLike<number>, classes: number, smoothing: number): Float32Array {
  if (!(smoothing >= 0 && smoothing < 1)) {
    throw new ConfigError(`label smoothing must be in [0, 1), got ${smoothing}`, 'use 0.1 (the original code) or 0 to disable it');
  }
  const off = smoothing / classes;
  const on = 1 - smoothing + off;
  const out = new Float32Array(labels.length * classes).fill(off);
  for (let i = 0; i < labels.length; i++) out[i * classes + labels[i]!] = on;
  return out;
}

export { KERAS_EPSILON, LOSS_FORMS, type LossForm } from './loss-forms.js';

/** log of the predicted class probabilities in the chosen form, along the last axis. */
function logProbabilities(logits: Tensor, form: LossForm): Tensor {
  if (form === 'logits') return op.logSoftmax(logits);
  const p = op.softmax(logits);
  return op.log(op.clip(op.div(p, op.sum(p, -1, true)), KERAS_EPSILON, 1 - KERAS_EPSILON));
}

/** networkCrossEntropy as primitives: the composition that defines the custom op crossEntropy. */
function crossEntropyComposition(logits: Tensor, targets: Tensor, form: LossForm): Tensor {
  const rows = op.sum(op.mul(targets, logProbabilities(logits, form)), -1);
  return op.neg(op.mean(rows, -1));
}

/**
 * Categorical cross-entropy of softmax(logits) against target distributions, averaged over the batch, one value
 * per network: logits [n, classes] give a scalar, stacked networks' logits [T, n, classes] give [T], each the
 * value its network would get alone, in the same float operations. A backend may run it, and its gradient with
 * respect to the logits, as custom kernels (custom-ops.ts, crossEntropy and crossEntropyGradient).
 */
export function networkCrossEntropy(logits: Tensor, targets: Tensor, form: LossForm = 'logits'): Tensor {
  const gradient = { inputs: ['logits'], inputCotangents: (cotangent: Tensor) => [crossEntropyGradient(logits, targets, form, cotangent)] };
  return customOp('crossEntropy', { logits, targets }, { form }, () => [crossEntropyComposition(logits, targets, form)],
    [logits.shape.slice(0, -2)], gradient)[0]!;
}

/**
 * The cotangent of the logits given `cotangent`, that of networkCrossEntropy's value (its shape), as the backward
 * pass through its composition computes it: what a gradient through networkCrossEntropy uses.
 */
export const crossEntropyGradient = (logits: Tensor, targets: Tensor, form: LossForm, cotangent: Tensor): Tensor =>
  customOp('crossEntropyGradient', { logits, targets, cotangent }, { form },
    () => [vjp((z) => crossEntropyComposition(z, targets, form), logits, cotangent)], [logits.shape])[0]!;

/**
 * networkCrossEntropy summed over stacked networks: the objective whose gradient gives each network the
 * gradient it would get alone (a scalar either way).
 */
export function crossEntropy(logits: Tensor, targets: Tensor, form: LossForm = 'logits'): Tensor {
  const perNetwork = networkCrossEntropy(logits, targets, form);
  return perNetwork.rank === 0 ? perNetwork : op.sum(perNetwork);
}

/**
 * l1 * sum |W * M| over the given parameters (the optional l1_reg penalty, on a model's kernels): a scalar for one
 * network, [T] for `stacked` parameters [T, ...] (each network's sum over its own weights, in the same order as alone).
 */
export function l1Penalty(effective: readonly Tensor[], l1: number, stacked = false): Tensor {
  const perNetwork = (w: Tensor) => (stacked ? op.sum(op.abs(op.reshape(w, [w.shape[0]!, -1])), -1) : op.sum(op.abs(w)));
  let total = perNetwork(effective[0]!);
  for (const w of effective.slice(1)) total = op.add(total, perNetwork(w));
  return op.mul(total, l1);
}

/** How many predicted classes equal the integer label labels[offset + row]. */
export function countMatches(predicted: ArrayLike<number>, labels: ArrayLike<number>, offset = 0): number {
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[offset + i]) correct++;
  return correct;
}

/** How many rows' argmax matches the integer label labels[offset + row] (a synchronous read). */
export const countCorrect = (logits: Tensor, labels: ArrayLike<number>, offset = 0): number =>
  countMatches(op.argmax(logits, -1).dataSync(), labels, offset);
