/**
 * Training steps of T networks stacked on a trial axis (weights [T, fan_in, fan_out], batches [T, 60, 784]) as
 * one computation, timed per trial-step: the time of one stacked step divided by T. At T = 1 this is the
 * ordinary step with a leading axis of 1.
 */
import { disposeAll, fromHost, keep } from '../../../core/autodiff/engine.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { attackSpec, craft } from '../../../core/attacks/index.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { DENSE_300_100, initialWeights, type Network, type Classifier } from '../../../core/nn/model.js';
import { parameterSize } from '../../../core/nn/models/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainStep } from '../../../core/nn/train-step.js';
import { BATCH, type Item } from './items.js';

const concat = (arrays: readonly Float32Array[]): Float32Array => {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  arrays.reduce((offset, a) => (out.set(a, offset), offset + a.length), 0);
  return out;
};

/** The natural, FGSM and PGD-10 steps of `trials` stacked networks, each item timed per trial-step. */
export function trialItems(trials: number): { items: Item[]; dispose: () => void } {
  const rng = new Rng(100 + trials);
  const layers = DENSE_300_100.parameters;
  const weights = Array.from({ length: trials }, () => initialWeights(DENSE_300_100, rng));
  const net: Network = {
    spec: DENSE_300_100,
    weights: layers.map((l, i) => keep(fromHost(concat(weights.map((w) => w[i]!)), [trials, ...l.shape]))),
    masks: layers.map((l) => keep(fromHost(new Float32Array(trials * parameterSize(l)).fill(1), [trials, ...l.shape]))),
  };
  const pixels = Float32Array.from({ length: trials * BATCH * 784 }, () => (rng.next() < 0.6 ? 0 : rng.next()));
  const x = keep(fromHost(pixels, [trials, BATCH, 784]));
  const labels = Array.from({ length: trials * BATCH }, () => rng.int(10));
  const y = keep(fromHost(smoothedTargets(labels, 10, 0.1), [trials, BATCH, 10]));
  const adam = new Adam();
  const step = (attack?: 'fgsm' | 'pgd') => () => {
    const adversarial = attack ? (c: Classifier) => craft(attackSpec(attack), c, x, rng) : undefined;
    const loss = trainStep(net, adam, x, y, 0, adversarial);
    loss.dataSync();
    loss.dispose();
  };
  const item = (name: string, run: () => void, budgetMs: number): Item =>
    ({ name: `${name}, T=${trials} (per trial-step)`, minRuns: 3, budgetMs, warmup: true, run, perRun: trials });
  return {
    items: [item('natural training step', step(), 1500), item('FGSM adversarial step', step('fgsm'), 1500), item('PGD-10 adversarial step', step('pgd'), 2500)],
    dispose: () => {
      disposeAll([net.weights, net.masks, x, y]);
      adam.reset();
    },
  };
}
