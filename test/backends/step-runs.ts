/**
 * A network training on one backend, step by step, for tests that compare backends (or a backend's sparse and
 * dense paths) on the same inputs: each run keeps its backend, network, optimiser and attack generator.
 */
import type { Backend } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, craft, type AttackName } from '../../core/attacks/index.js';
import { Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import { classifierOf, createNetwork, DENSE_300_100, disposeNetwork, effectiveWeights, readParameters, type Network } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';

export type StepKind = 'natural' | AttackName;
export const BATCH = 60;

export interface Run {
  readonly backend: Backend;
  readonly net: Network;
  readonly adam: Adam;
  readonly attackRng: Rng;
}

export function startRun(backend: Backend, masks: Float32Array[], weights: Float32Array[]): Run {
  setActiveBackend(backend);
  return { backend, net: createNetwork(DENSE_300_100, weights, masks), adam: new Adam(), attackRng: new Rng(7) };
}

/** The run's final weights; its network and optimiser state are freed. */
export function finishRun(run: Run): Float32Array[] {
  setActiveBackend(run.backend);
  const weights = readParameters(run.net.weights);
  run.adam.reset();
  disposeNetwork(run.net);
  return weights;
}

/**
 * One step on `run` from host inputs: crafts the adversarial half on the run's own weights (returned with the
 * loss) and trains on it, or on `trainAdv` when given (so that two runs can train on the same examples).
 */
export function stepRun(run: Run, kind: StepKind, xs: Float32Array, labels: number[], trainAdv?: Float32Array): { loss: number; adv?: Float32Array } {
  setActiveBackend(run.backend);
  const [x, targets] = tidy(() => [fromHost(xs, [BATCH, 784]), fromHost(smoothedTargets(labels, 10, 0.1), [BATCH, 10])]) as [Tensor, Tensor];
  const crafted = kind === 'natural' ? undefined
    : tidy(() => craft(attackSpec(kind), classifierOf(run.net), x, run.attackRng));
  const craftedValues = crafted?.dataSync() as Float32Array | undefined;
  const adv = kind === 'natural' ? undefined : fromHost(trainAdv ?? craftedValues!, [BATCH, 784]);
  const loss = trainStep(run.net, run.adam, x, targets, 0, adv);
  const value = loss.item();
  disposeAll([loss, adv, crafted, x, targets]);
  return { loss: value, adv: craftedValues };
}
