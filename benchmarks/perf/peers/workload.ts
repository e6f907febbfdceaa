/**
 * The peer-comparison workload, written once for every backend (and mirrored by torch_steps.py): one training
 * step of a model (dense-300-100 by default; lenet5, cnn-madry) at batch 60 with Adam and masked kernels (biases
 * unmasked), in three flavours:
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
import { createNetwork, DENSE_300_100, disposeNetwork, initialWeights, inputSize, type Classifier, type ModelSpec, type Network } from '../../../core/nn/model.js';
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

/** Build the network of `spec`, optimiser and one batch on the active backend. */
export function createWorkload(spec: ModelSpec = DENSE_300_100, seed = 1): Workload {
  const rng = new Rng(seed);
  const masks = spec.parameters.map((p) => {
    const m = new Float32Array(parameterSize(p)).fill(1);
    if (p.kind === 'kernel') for (let i = 0; i < m.length; i++) m[i] = rng.next() < 0.8 ? 1 : 0;
    return m;
  });
  const net = createNetwork(spec, initialWeights(spec, rng), masks);
  const adam = new Adam();
  const labels = Array.from({ length: BATCH }, () => rng.int(spec.classes));
  const [x, targets] = tidy(() => [
    fromHost(rng.uniformArray(BATCH * inputSize(spec), 0, 1), [BATCH, inputSize(spec)]),
    fromHost(smoothedTargets(labels, spec.classes, 0.1), [BATCH, spec.classes]),
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
