/**
 * The micro-benchmark workloads: dense-300-100 at batch 60 on the active backend. Each item is a function to
 * time plus the state it needs, made before timing starts.
 */
import { disposeAll, fromHost, keep, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { attackSpec, craft, pgd } from '../../../core/attacks/index.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { createNetwork, DENSE_300_100, disposeNetwork, effectiveWeights, fullMasks, initialWeights, type Network, type Classifier } from '../../../core/nn/model.js';
import { denseChain } from '../../../core/nn/layers.js';
import { parameterSize } from '../../../core/nn/models/index.js';
import { pruneParameters } from '../../../core/pruning/magnitude.js';
import { pruneRates } from '../../../core/pruning/rates.js';
import { remainingSchedule } from '../../../core/pruning/schedule.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainStep } from '../../../core/nn/train-step.js';

export const BATCH = 60;

export interface Item {
  readonly name: string;
  /** What one call of run() stands for, when it is not one call (the evaluation item). */
  readonly unit?: string;
  /** Runs timed per item: at least `minRuns`, and more while under `budgetMs`. */
  readonly minRuns: number;
  readonly budgetMs: number;
  readonly warmup: boolean;
  readonly run: () => void;
  /** Units of work in one run (trials of a stacked step): reported times are per unit. */
  readonly perRun?: number;
}

interface State {
  net: Network;
  adam: Adam;
  x: Tensor;
  y: Tensor;
  rng: Rng;
}

/** MNIST-like batches: 60% exact zeros, the rest uniform in [0, 1]. */
function images(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n * 784 }, () => (rng.next() < 0.6 ? 0 : rng.next()));
}

/** Pruning rounds whose step times the benchmark reports: 100, 51.3, 16.9, 8.7, 3.6 and 1.8% of weights left. */
export const PRUNED_ROUNDS: readonly number[] = [0, 3, 8, 11, 15, 18];

/**
 * Masks of pruning round r: the protocol's magnitude pruning (core/pruning, 20% / 20% / 10% of each layer's
 * remaining weights per round) applied r times to random weights drawn from rng, so kept positions are random
 * and their count is the protocol's.
 */
export function roundMasks(round: number, rng: Rng): Float32Array[] {
  const weights = DENSE_300_100.parameters.map((l) => rng.uniformArray(parameterSize(l), -1, 1));
  let masks = fullMasks(DENSE_300_100);
  for (let r = 0; r < round; r++) masks = pruneParameters(weights, masks, pruneRates(DENSE_300_100));
  return masks;
}

/** Percentage of dense-300-100's weights that round r keeps, as the results print it (one decimal). */
export const remainingPercent = (round: number): string => remainingSchedule(DENSE_300_100, round)[round]!.toFixed(1);

function makeState(seed: number, round = 0): State {
  const rng = new Rng(seed);
  const weights = initialWeights(DENSE_300_100, rng);
  const net = createNetwork(DENSE_300_100, weights, round === 0 ? undefined : roundMasks(round, new Rng(seed + 100)));
  const labels = Array.from({ length: BATCH }, () => rng.int(10));
  return {
    net, adam: new Adam(), rng,
    x: keep(fromHost(images(rng, BATCH), [BATCH, 784])),
    y: keep(fromHost(smoothedTargets(labels, 10, 0.1), [BATCH, 10])),
  };
}

/** One training step; `attack` crafts the adversarial half of the batch first (as the protocol does). */
function step(s: State, attack?: 'fgsm' | 'pgd'): void {
  const adversarial = attack ? (c: Classifier) => craft(attackSpec(attack), c, s.x, s.rng) : undefined;
  const loss = trainStep(s.net, s.adam, s.x, s.y, 0, adversarial);
  loss.dataSync(); // the loss is read every step (logging), which also waits for asynchronous backends
  loss.dispose();
}

/** Natural and PGD-10 accuracy of the given test batches (the protocol's evaluation); returns the hit count. */
function evaluate(s: State, xs: readonly Tensor[], labels: readonly Int32Array[]): number {
  const spec = attackSpec('pgd');
  const effective = tidy(() => effectiveWeights(s.net.weights, s.net.masks));
  let hits = 0;
  xs.forEach((x, i) =>
    tidy(() => {
      const natural = op.argmax(denseChain(effective, x), -1).dataSync();
      const robust = op.argmax(denseChain(effective, pgd({ spec: DENSE_300_100, params: effective }, x, spec, s.rng)), -1).dataSync();
      for (let j = 0; j < natural.length; j++) hits += Number(natural[j] === labels[i]![j]) + Number(robust[j] === labels[i]![j]);
    }));
  disposeAll(effective);
  return hits;
}

export interface Workloads {
  readonly items: Item[];
  dispose(): void;
}

/** Every item, on the active backend. `evalImages` test images are evaluated, in batches of `evalBatch`. */
export function workloads(evalImages: number, evalBatch: number): Workloads {
  const s = makeState(1);
  const rng = new Rng(2);
  const owned: Tensor[] = [s.x, s.y];
  const hold = (t: Tensor) => (owned.push(keep(t)), t);
  const [w1, w2, w3] = s.net.weights as [Tensor, Tensor, Tensor];
  const g = (n: number) => hold(fromHost(rng.uniformArray(BATCH * n, -1, 1), [BATCH, n]));
  const h1 = hold(fromHost(rng.uniformArray(BATCH * 300, 0, 1), [BATCH, 300]));
  const h2 = hold(fromHost(rng.uniformArray(BATCH * 100, 0, 1), [BATCH, 100]));
  const [g1, g2, g3] = [g(300), g(100), g(10)];
  const mm = (name: string, f: () => Tensor): Item => ({ name, minRuns: 20, budgetMs: 600, warmup: true, run: () => tidy(() => void f()) });
  // Left operands rotate through copies: the tfjs adapter reuses a product asked for again with the same
  // operands (backends/tfjs/caches.ts, ProductCache), which would time a cache hit instead of the kernel.
  const rotating = (t: Tensor): (() => Tensor) => {
    const copies = [t, ...Array.from({ length: 7 }, () => hold(tidy(() => op.add(t, 0))))];
    let i = 0;
    return () => copies[i++ % copies.length]!;
  };
  const [xs, h1s, h2s, g1s, g2s, g3s] = [s.x, h1, h2, g1, g2, g3].map(rotating) as [() => Tensor, () => Tensor, () => Tensor, () => Tensor, () => Tensor, () => Tensor];
  const effective = effectiveWeights(s.net.weights, s.net.masks).map(hold);
  /**
   * The matrix products of one PGD-10 adversarial step as rsn runs it, and nothing else (weights already
   * prepared, transposes cached): 13 forward passes (the label prediction, 10 attack iterations, the training
   * step's two halves, whose clean first-layer product repeats the prediction's and is reused), 10 input
   * gradients of the attack, and the training step's backward passes. A lower bound for the whole step.
   */
  const [e1, e2, e3] = effective as [Tensor, Tensor, Tensor];
  const pgdStepProducts = (): void => {
    for (let pass = 0; pass < 13; pass++) {
      if (pass !== 11) op.matmul(xs(), e1);
      op.matmul(h1s(), e2);
      op.matmul(h2s(), e3);
    }
    for (let pass = 0; pass < 12; pass++) {
      op.matmul(g3s(), e3, false, true);
      op.matmul(g2s(), e2, false, true);
      if (pass < 10) op.matmul(g1s(), e1, false, true);
      else [[xs(), g1], [h1s(), g2], [h2s(), g3]].forEach(([a, b]) => op.matmul(a!, b!, true, false));
    }
  };
  const evalXs = Array.from({ length: Math.ceil(evalImages / evalBatch) }, (_, i) =>
    hold(fromHost(images(rng, Math.min(evalBatch, evalImages - i * evalBatch)), [Math.min(evalBatch, evalImages - i * evalBatch), 784])));
  const evalLabels = evalXs.map((x) => Int32Array.from({ length: x.shape[0]! }, () => rng.int(10)));
  /**
   * Pruned networks, made on their items' first (warm-up) run, so that the items before them time the dense
   * network alone: a live sparse mask changes what the native backend does with products of its shape.
   */
  const pruned = new Map<number, State>();
  const prunedState = (round: number): State => {
    let state = pruned.get(round);
    if (!state) pruned.set(round, (state = makeState(1, round)));
    return state;
  };
  const prunedItems = PRUNED_ROUNDS.flatMap((round): Item[] => {
    const at = `at ${remainingPercent(round)}% weights`;
    return [
      { name: `natural step ${at}`, minRuns: 10, budgetMs: 1000, warmup: true, run: () => step(prunedState(round)) },
      { name: `FGSM step ${at}`, minRuns: 8, budgetMs: 1000, warmup: true, run: () => step(prunedState(round), 'fgsm') },
      { name: `PGD-10 step ${at}`, minRuns: 5, budgetMs: 1500, warmup: true, run: () => step(prunedState(round), 'pgd') },
    ];
  });
  const items: Item[] = [
    mm('matmul [60,784]x[784,300]', () => op.matmul(xs(), w1)),
    mm('matmul [60,300]x[300,100]', () => op.matmul(h1s(), w2)),
    mm('matmul [60,100]x[100,10]', () => op.matmul(h2s(), w3)),
    mm('matmul [60,300]x[784,300]^T (dx)', () => op.matmul(g1s(), w1, false, true)),
    mm('matmul [60,100]x[300,100]^T (dh1)', () => op.matmul(g2s(), w2, false, true)),
    mm('matmul [60,10]x[100,10]^T (dh2)', () => op.matmul(g3s(), w3, false, true)),
    mm('matmul [60,784]^Tx[60,300] (dW1)', () => op.matmul(xs(), g1, true, false)),
    mm('matmul [60,300]^Tx[60,100] (dW2)', () => op.matmul(h1s(), g2, true, false)),
    mm('matmul [60,100]^Tx[60,10] (dW3)', () => op.matmul(h2s(), g3, true, false)),
    { name: 'forward pass (batch 60)', minRuns: 20, budgetMs: 800, warmup: true, run: () => tidy(() => void denseChain(effective, xs()).dataSync()) },
    { name: 'natural training step', minRuns: 10, budgetMs: 1500, warmup: true, run: () => step(s) },
    { name: 'FGSM adversarial step', minRuns: 8, budgetMs: 1500, warmup: true, run: () => step(s, 'fgsm') },
    { name: 'PGD-10 adversarial step', minRuns: 5, budgetMs: 2500, warmup: true, run: () => step(s, 'pgd') },
    { name: 'PGD-10 step: its matrix products alone', minRuns: 5, budgetMs: 2000, warmup: true, run: () => tidy(pgdStepProducts) },
    {
      name: `evaluation natural + PGD-10 (per ${evalImages} images)`, unit: `${evalImages} images`, minRuns: 1, budgetMs: 0, warmup: false,
      run: () => void evaluate(s, evalXs, evalLabels),
    },
    ...prunedItems,
  ];
  return {
    items,
    dispose: () => {
      disposeAll(owned);
      for (const state of [s, ...pruned.values()]) {
        disposeNetwork(state.net);
        state.adam.reset();
      }
      disposeAll([...pruned.values()].map((p) => [p.x, p.y]));
    },
  };
}
