/**
 * Stacked training steps for the webgpu kernel tests: 3 networks of mlp-12-8-4 (about a fifth of each mask 0),
 * batches of 5, one natural, one FGSM and one PGD step (`pgdIterations` iterations) in turn, on `backend`. A test
 * runs it with the kernels it checks and without custom kernels, and compares what it returns bit for bit.
 */
import type { Backend } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, keep } from '../../core/autodiff/engine.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, craft } from '../../core/attacks/index.js';
import { Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import { createStackedNetwork, disposeNetwork, fullMasks, initialWeights, mlp, type Classifier } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';
import { on } from './support.js';

export const STACKED_SPEC = mlp('mlp-12-8-4', [12, 8, 4]);
const [TRIALS, BATCH] = [3, 5];

export interface StackedTraining {
  readonly seed: number;
  readonly pgdIterations: number;
  /** Also return Adam's moments (m and v per parameter) after the losses and weights. */
  readonly moments?: boolean;
}

/** The three steps' losses, then the weights (and the moments), read back. */
export async function trainStackedSteps(backend: Backend, { seed, pgdIterations, moments = false }: StackedTraining): Promise<Float32Array[]> {
  const spec = STACKED_SPEC;
  const rng = new Rng(seed);
  const masks = Array.from({ length: TRIALS }, () => fullMasks(spec).map((m) => m.map(() => (rng.next() < 0.2 ? 0 : 1))));
  const net = on(backend, () => createStackedNetwork(spec, Array.from({ length: TRIALS }, () => initialWeights(spec, rng)), masks));
  const labels = Array.from({ length: TRIALS * BATCH }, () => rng.int(4));
  const [x, y] = on(backend, () => [
    keep(fromHost(rng.uniformArray(TRIALS * BATCH * 12, 0, 1), [TRIALS, BATCH, 12])),
    keep(fromHost(smoothedTargets(labels, 4, 0.1), [TRIALS, BATCH, 4])),
  ]);
  const adam = new Adam();
  const kinds = [undefined, attackSpec('fgsm'), attackSpec('pgd', { iterations: pgdIterations })];
  const losses = kinds.map((attack) =>
    on(backend, () => trainStep(net, adam, x!, y!, 0, attack ? (c: Classifier) => craft(attack, c, x!, rng) : undefined)));
  const state = (adam as unknown as { moments: { m: Tensor; v: Tensor }[] }).moments;
  const tensors = [...losses, ...net.weights, ...(moments ? state.flatMap(({ m, v }) => [m, v]) : [])];
  try {
    return await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
  } finally {
    disposeAll([losses, x!, y!]);
    disposeNetwork(net);
    adam.reset();
  }
}

/** The steps trainStackedSteps takes: natural, FGSM, PGD. */
export const STACKED_STEP_KINDS = 3;
