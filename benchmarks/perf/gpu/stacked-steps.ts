/**
 * The natural, FGSM-adversarial and PGD-10-adversarial training steps of T dense-300-100 networks stacked on a
 * trial axis (weights and masks [T, fan_in, fan_out], batches [T, 60, 784]) through core/nn/train-step.ts
 * trainStep on the active backend, timed per stacked step (timing.ts: warm-up, reads at the end). Each step draws
 * its batch as training does (core/experiment/batch-source.ts): every network its own fresh row numbers from a
 * sampler over one synthetic training set, the rows gathered on the device where the backend can (the set kept
 * there, the row numbers uploaded) and on the host otherwise; PGD's random start comes from one generator per
 * network, as in training (drawn on the device where the backend can, core/nn/uniform-noise.ts, else on the host
 * and uploaded).
 */
import { disposeAll, fromHost, keep, tidy } from '../../../core/autodiff/engine.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { attackSpec, craft } from '../../../core/attacks/index.js';
import { BatchSampler } from '../../../core/data/index.js';
import { TrainingBatches, type Batch } from '../../../core/experiment/batch-source.js';
import type { EvalSet } from '../../../core/experiment/evaluate.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { DENSE_300_100, initialWeights, type Network, type Classifier } from '../../../core/nn/model.js';
import { parameterSize } from '../../../core/nn/models/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { uniformSource } from '../../../core/nn/trial-rngs.js';
import { trainStep } from '../../../core/nn/train-step.js';
import type { WebgpuStats } from '../../../backends/webgpu/index.js';
import { timeUnits, type TimingPlan } from './timing.js';
import { STEP_KINDS, type StepKind } from './workloads.js';

export const BATCH = 60;
const PIXELS = 784;

const concat = (arrays: readonly Float32Array[]): Float32Array => {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  arrays.reduce((offset, a) => (out.set(a, offset), offset + a.length), 0);
  return out;
};

/** MNIST-like images: 60% exact zeros, the rest uniform in [0, 1]. */
export const images = (rng: Rng, count: number): Float32Array =>
  Float32Array.from({ length: count * PIXELS }, () => (rng.next() < 0.6 ? 0 : rng.next()));

/** Images of the synthetic training set the steps draw their batches from (100 batches of 60). */
const SET_SIZE = 6000;

/** T stacked networks (Glorot weights, full masks), their training batches, and a fresh Adam. */
function stackedState(trials: number, rng: Rng) {
  const layers = DENSE_300_100.parameters;
  const weights = Array.from({ length: trials }, () => initialWeights(DENSE_300_100, rng));
  const net: Network = {
    spec: DENSE_300_100,
    weights: layers.map((l, i) => keep(fromHost(concat(weights.map((w) => w[i]!)), [trials, ...l.shape]))),
    masks: layers.map((l) => keep(fromHost(new Float32Array(trials * parameterSize(l)).fill(1), [trials, ...l.shape]))),
  };
  const labels = Int32Array.from({ length: SET_SIZE }, () => rng.int(10));
  const set: EvalSet = { images: images(rng, SET_SIZE), labels, targets: smoothedTargets(labels, 10, 0.1), count: SET_SIZE };
  const source = new TrainingBatches(Array.from({ length: trials }, () => set), PIXELS, 10);
  const samplers = Array.from({ length: trials }, (_, t) => new BatchSampler(SET_SIZE, BATCH, rng.derive(t)));
  /** One step's batch [T, 60, ...] (the weights are [T, ...] at T = 1 too): fresh row numbers per network, gathered as training gathers them. */
  const draw = (): Batch => source.batch(samplers.map((sampler) => sampler.next()), true);
  const attack = uniformSource(Array.from({ length: trials }, (_, t) => rng.derive(t, 1)));
  return { net, draw, source, attack, adam: new Adam() };
}

/** One training step of `kind` on a freshly drawn batch; its loss. */
function step(kind: StepKind, state: ReturnType<typeof stackedState>): Tensor {
  const { x, y } = state.draw();
  const spec = kind === 'natural' ? undefined : attackSpec(kind);
  const adversarial = spec ? (c: Classifier) => craft(spec, c, x, state.attack) : undefined;
  return trainStep(state.net, state.adam, x, y, 0, adversarial);
}

function release(state: ReturnType<typeof stackedState>): void {
  disposeAll([state.net.weights, state.net.masks]);
  state.source.release();
  state.adam.reset();
}

export interface StepTiming {
  readonly kind: StepKind;
  readonly trials: number;
  /** One stacked step of all T networks, ms. */
  readonly stackedMs: number;
  /** stackedMs / T, in microseconds. */
  readonly perNetworkUs: number;
  readonly units: number;
  readonly rounds: number;
}

/** Each step kind at `trials` stacked networks (the protocol's attack settings: eps 0.3, PGD step 0.05, 10 iterations). */
export async function timeStackedSteps(trials: number, plan: TimingPlan, kinds: readonly StepKind[] = STEP_KINDS): Promise<StepTiming[]> {
  const rng = new Rng(1000 + trials);
  const state = stackedState(trials, rng);
  const results: StepTiming[] = [];
  try {
    for (const kind of kinds) {
      const timing = await timeUnits(() => [tidy(() => keep(step(kind, state)))], plan);
      results.push({ kind, trials, stackedMs: timing.ms, perNetworkUs: (timing.ms * 1000) / trials, units: timing.units, rounds: timing.rounds });
    }
  } finally {
    release(state);
  }
  return results;
}

/** Host time of drawing one stacked batch's PGD random start (T x 60 x 784 uniforms), ms: part of every PGD step. */
export function hostRandomStartMs(trials: number, repetitions = 3): number {
  const rng = new Rng(7);
  const started = performance.now();
  for (let i = 0; i < repetitions; i++) rng.uniformArray(trials * BATCH * PIXELS, -0.3, 0.3);
  return (performance.now() - started) / repetitions;
}

/** The backend's counts a step is measured by (all of WebgpuStats but the program cache's size). */
export type Counted = Omit<WebgpuStats, 'programs'>;

/** What one stacked step asked of the device: the difference of the backend's counts around it. */
export interface StepCounts extends Counted {
  readonly kind: StepKind;
  readonly trials: number;
}

/**
 * Each step kind at `trials` stacked networks, counted on `stats` (the webgpu backend's, active): one warm-up
 * step, then one step whose loss is read back, as training reads it at an evaluation.
 */
export async function countStackedSteps(trials: number, stats: () => Counted, kinds: readonly StepKind[] = STEP_KINDS): Promise<StepCounts[]> {
  const rng = new Rng(2000 + trials);
  const state = stackedState(trials, rng);
  const results: StepCounts[] = [];
  try {
    for (const kind of kinds) {
      const warm = tidy(() => keep(step(kind, state)));
      await warm.data();
      warm.dispose();
      const before = stats();
      const loss = tidy(() => keep(step(kind, state)));
      await loss.data();
      loss.dispose();
      const after = stats();
      results.push({
        kind, trials, dispatches: after.dispatches - before.dispatches, submits: after.submits - before.submits,
        pipelineSwitches: after.pipelineSwitches - before.pipelineSwitches, bytesUploaded: after.bytesUploaded - before.bytesUploaded,
        paramBytes: after.paramBytes - before.paramBytes, bytesRead: after.bytesRead - before.bytesRead,
      });
    }
  } finally {
    release(state);
  }
  return results;
}
