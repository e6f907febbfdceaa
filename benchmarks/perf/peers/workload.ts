/**
 * The peer-comparison workload, written once for every backend (and mirrored by torch_steps.py): one training
 * step of dense-300-100 at batch 60 with Adam and masked weights, in three flavours:
 *   natural  CE(y, f(x))
 *   fgsm     0.5 CE(y, f(x)) + 0.5 CE(y, f(x_fgsm)), x_fgsm crafted against the current weights
 *   pgd      the same with PGD-10 (step 0.05, random start)
 * Inputs are synthetic (uniform pixels, random labels, 0.1 label smoothing; masks with 80% ones): the cost of
 * a step does not depend on the values.
 */
import { disposeAll, fromHost, tidy } from '../../../core/autodiff/engine.js';
import { attackSpec, craft } from '../../../core/attacks/index.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { createNetwork, DENSE_300_100, disposeNetwork, initialWeights, type Network, type Classifier } from '../../../core/nn/model.js';
import { parameterSize } from '../../../core/nn/models/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainStep } from '../../../core/nn/train-step.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';

export const STEPS = ['natural', 'fgsm', 'pgd'] as const;
export type StepName = (typeof STEPS)[number];
export const BATCH = 60;

export interface Workload {
  readonly net: Network;
  readonly step: (name: StepName) => void;
  readonly dispose: () => void;
}

/** Build the network, optimiser and one batch on the active backend. */
export function createWorkload(seed = 1): Workload {
  const rng = new Rng(seed);
  const masks = DENSE_300_100.parameters.map((l) => {
    const m = new Float32Array(parameterSize(l));
    for (let i = 0; i < m.length; i++) m[i] = rng.next() < 0.8 ? 1 : 0;
    return m;
  });
  const net = createNetwork(DENSE_300_100, initialWeights(DENSE_300_100, rng), masks);
  const adam = new Adam();
  const labels = Array.from({ length: BATCH }, () => rng.int(10));
  const [x, targets] = tidy(() => [
    fromHost(rng.uniformArray(BATCH * 784, 0, 1), [BATCH, 784]),
    fromHost(smoothedTargets(labels, 10, 0.1), [BATCH, 10]),
  ]) as [Tensor, Tensor];
  const specs = { fgsm: attackSpec('fgsm'), pgd: attackSpec('pgd') };
  const attackRng = rng.derive(7);

  const step = (name: StepName): void => {
    const adversarial = name === 'natural' ? undefined : (c: Classifier) => craft(specs[name], c, x, attackRng);
    trainStep(net, adam, x, targets, 0, adversarial).dispose();
  };
  return {
    net,
    step,
    dispose: () => {
      adam.reset();
      disposeNetwork(net);
      disposeAll([x, targets]);
    },
  };
}
