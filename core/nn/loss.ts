import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { ConfigError } from '../errors.js';

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

/** Categorical cross-entropy of softmax(logits) against target distributions, averaged over the batch. */
export const crossEntropy = (logits: Tensor, targets: Tensor): Tensor => op.softmaxCrossEntropy(logits, targets);

/** l1 * sum |W * M| over all layers (the optional l1_reg penalty). */
export function l1Penalty(effective: readonly Tensor[], l1: number): Tensor {
  let total = op.sum(op.abs(effective[0]!));
  for (const w of effective.slice(1)) total = op.add(total, op.sum(op.abs(w)));
  return op.mul(total, l1);
}

/** How many rows' argmax matches the integer label labels[offset + row]. */
export function countCorrect(logits: Tensor, labels: ArrayLike<number>, offset = 0): number {
  const predicted = op.argmax(logits, -1).dataSync();
  let correct = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === labels[offset + i]) correct++;
  return correct;
}
