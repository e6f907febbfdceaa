/**
 * A trial axis through the training step: T networks stacked on a leading axis ([T, fan_in, fan_out] weights
 * and masks, [T, n, 784] batches) train as one computation. The oracle is the batched-vs-sequential identity on
 * the reference backend: the stacked step gives, bit for bit, the weights of T separate steps, and the sum of
 * their losses, one per network.
 */
import { describe, expect, it } from 'vitest';
import { disposeAll, fromHost, keep, tidy } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, craft } from '../../core/attacks/index.js';
import { Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import { mlp, type Classifier, type ModelSpec, type Network } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';
import { uniformSource } from '../../core/nn/trial-rngs.js';
import { useReferenceBackend } from '../support/backend.js';

useReferenceBackend();

const SPEC: ModelSpec = mlp('small', [12, 8, 5, 3]);
const N = 4;

interface TrialData {
  seed: number;
  weights: Float32Array[];
  masks: Float32Array[];
  x: Float32Array[];
  y: Float32Array[];
}

function trialData(seed: number): TrialData {
  const rng = new Rng(seed);
  return {
    seed,
    weights: SPEC.parameters.map((l) => rng.uniformArray(l.fanIn * l.fanOut, -0.7, 0.7)),
    masks: SPEC.parameters.map((l) => Float32Array.from({ length: l.fanIn * l.fanOut }, () => (rng.next() < 0.7 ? 1 : 0))),
    x: [0, 1].map(() => rng.uniformArray(N * 12, 0, 1)),
    y: [0, 1].map(() => smoothedTargets(Array.from({ length: N }, () => rng.int(3)), 3, 0.1)),
  };
}

const stack = (arrays: Float32Array[]): Float32Array => {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
};

type Mode = 'natural' | 'fgsm' | 'pgd' | 'l1';

/** Two steps of each trial's network: losses and final weights, one trial at a time or all stacked. */
function run(trials: TrialData[], stacked: boolean, mode: Mode): { losses: number[][]; weights: Float32Array[][] } {
  // PGD with its random start: each trial draws from its own generator (TrialRngs when stacked).
  const spec = attackSpec(mode === 'pgd' ? 'pgd' : 'fgsm', { iterations: 3 });
  const l1 = mode === 'l1' ? 0.01 : 0;
  const groups = stacked ? [trials] : trials.map((t) => [t]);
  const losses: number[][] = trials.map(() => []);
  const weights: Float32Array[][] = [];
  groups.forEach((group, g) => {
    const lead = stacked ? [group.length] : [];
    const upload = (pick: (t: TrialData) => Float32Array, shape: number[]) => keep(fromHost(stack(group.map(pick)), [...lead, ...shape]));
    const net: Network = {
      spec: SPEC,
      weights: SPEC.parameters.map((l, i) => upload((t) => t.weights[i]!, [l.fanIn, l.fanOut])),
      masks: SPEC.parameters.map((l, i) => upload((t) => t.masks[i]!, [l.fanIn, l.fanOut])),
    };
    const adam = new Adam();
    const attackRng = uniformSource(group.map((t) => new Rng(1000 + t.seed)));
    for (let step = 0; step < 2; step++) {
      const loss = tidy(() => {
        const x = fromHost(stack(group.map((t) => t.x[step]!)), [...lead, N, 12]);
        const y = fromHost(stack(group.map((t) => t.y[step]!)), [...lead, N, 3]);
        const adversarial = mode === 'natural' || mode === 'l1' ? undefined : (c: Classifier) => craft(spec, c, x, attackRng);
        return keep(trainStep(net, adam, x, y, l1, adversarial));
      });
      // One loss per network: stacked, a [T] vector of the trials' losses.
      const values = Array.from(loss.dataSync());
      values.forEach((value, t) => losses[stacked ? t : g]!.push(value));
      loss.dispose();
    }
    const values = net.weights.map((w) => w.dataSync() as Float32Array);
    for (let t = 0; t < group.length; t++) {
      weights.push(values.map((v, i) => v.slice(t * v.length / group.length, (t + 1) * v.length / group.length)));
    }
    adam.reset();
    disposeAll([net.weights, net.masks]);
  });
  return { losses, weights };
}

describe('a trial axis through the training step (reference: stacked equals one at a time, bit for bit)', () => {
  const trials = [11, 12, 13].map(trialData);
  for (const mode of ['natural', 'fgsm', 'pgd', 'l1'] as const) {
    it(`${mode}: every trial's weights and losses after two steps`, () => {
      const alone = run(trials, false, mode);
      const together = run(trials, true, mode);
      expect(together.weights).toEqual(alone.weights);
      expect(together.losses).toEqual(alone.losses);
    });
  }
});
