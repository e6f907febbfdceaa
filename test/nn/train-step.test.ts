/**
 * The training loss and step (core/nn/train-step.ts) on masked networks: the loss against a plain-JS forward
 * pass, its gradient against float64 finite differences, exactly zero gradient for pruned weights, and pruned
 * weights that never move through many Adam steps, with and without the L1 penalty.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { disposeAll, setActiveBackend } from '../../core/autodiff/engine.js';
import { valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { ADAM_DEFAULTS, Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import {
  DENSE_300_100, createNetwork, mlp, disposeNetwork, effectiveWeights, initialWeights, readParameters, type ParameterArrays, type ModelSpec,
} from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep, trainingLoss } from '../../core/nn/train-step.js';
import { expectAllClose } from '../support/allclose.js';
import { constant, expectGradientsMatch, f32, mulberry32 } from '../support/gradcheck.js';

const SMALL: ModelSpec = mlp('small', [12, 8, 6, 4]);
const BATCH = 5;

beforeEach(() => setActiveBackend(f32));

const randomMasks = (spec: ModelSpec, keep: number, seed: number): ParameterArrays => {
  const r = mulberry32(seed);
  return spec.parameters.map((l) => Float32Array.from({ length: l.fanIn * l.fanOut }, () => (r() < keep ? 1 : 0)));
};
const batch = (spec: ModelSpec, n: number, seed: number) => {
  const rng = new Rng(seed);
  const inputs = spec.parameters[0]!.fanIn;
  const classes = spec.parameters[spec.parameters.length - 1]!.fanOut;
  const labels = Array.from({ length: n }, () => rng.int(classes));
  return { x: rng.uniformArray(n * inputs, 0, 1), labels, y: smoothedTargets(labels, classes, 0.1) };
};

/** Plain-JS loss: mean CE of softmax(relu-MLP(x) with W*M) against y, plus l1 sum |W*M|. */
function handLoss(spec: ModelSpec, w: ParameterArrays, m: ParameterArrays, x: ArrayLike<number>, y: ArrayLike<number>, n: number, l1: number) {
  let h = Array.from(x);
  spec.parameters.forEach(({ fanIn, fanOut }, layer) => {
    const next = new Array<number>(n * fanOut).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < fanOut; j++) {
        let s = 0;
        for (let p = 0; p < fanIn; p++) s += h[i * fanIn + p]! * w[layer]![p * fanOut + j]! * m[layer]![p * fanOut + j]!;
        next[i * fanOut + j] = layer < spec.parameters.length - 1 ? Math.max(s, 0) : s;
      }
    }
    h = next;
  });
  const c = spec.parameters[spec.parameters.length - 1]!.fanOut;
  let ce = 0;
  for (let i = 0; i < n; i++) {
    const row = h.slice(i * c, i * c + c);
    const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
    row.forEach((v, j) => (ce -= (y[i * c + j]! * (v - lse)) / n));
  }
  const penalty = w.reduce((s, wl, layer) => s + wl.reduce((t, v, k) => t + Math.abs(v * m[layer]![k]!), 0), 0);
  return ce + l1 * penalty;
}

describe('trainingLoss', () => {
  const w = initialWeights(SMALL, new Rng(1));
  const m = randomMasks(SMALL, 0.6, 2);
  const { x, y } = batch(SMALL, BATCH, 3);
  const xAdv = batch(SMALL, BATCH, 4).x;
  const tensors = () => ({
    w: SMALL.parameters.map((l, i) => op.tensor(w[i]!, [l.fanIn, l.fanOut])),
    m: SMALL.parameters.map((l, i) => op.tensor(m[i]!, [l.fanIn, l.fanOut])),
    x: op.tensor(x, [BATCH, 12]),
    xAdv: op.tensor(xAdv, [BATCH, 12]),
    y: op.tensor(y, [BATCH, 4]),
  });

  it('equals a plain-JS forward pass: natural, adversarial half-and-half, and with the L1 penalty', () => {
    const t = tensors();
    const natural = handLoss(SMALL, w, m, x, y, BATCH, 0);
    const adversarial = handLoss(SMALL, w, m, xAdv, y, BATCH, 0);
    const penalty = handLoss(SMALL, w, m, x, y, BATCH, 1) - natural;
    expect(penalty).toBeGreaterThan(0);
    expectAllClose([trainingLoss(SMALL, t.w, t.m, t.x, t.y, 0).item()], [natural], 1e-5);
    expectAllClose([trainingLoss(SMALL, t.w, t.m, t.x, t.y, 0, t.xAdv).item()], [0.5 * (natural + adversarial)], 1e-5);
    expectAllClose([trainingLoss(SMALL, t.w, t.m, t.x, t.y, 0.01, t.xAdv).item()], [0.5 * (natural + adversarial) + 0.01 * penalty], 1e-5);
  });

  it('its gradient w.r.t. the weights matches float64 finite differences (masks, xAdv and L1 included)', () => {
    const f = (...ws: Tensor[]) =>
      trainingLoss(SMALL, ws, SMALL.parameters.map((l, i) => constant([...m[i]!], [l.fanIn, l.fanOut])), constant([...x], [BATCH, 12]),
        constant([...y], [BATCH, 4]), 0.01, constant([...xAdv], [BATCH, 12]));
    expectGradientsMatch(f, SMALL.parameters.map((l, i) => ({ values: [...w[i]!], shape: [l.fanIn, l.fanOut] })), 5);
  });

  it('gives pruned weights exactly zero gradient, unpruned ones mostly nonzero (small net and dense-300-100)', () => {
    for (const [spec, keep, n] of [[SMALL, 0.6, BATCH], [DENSE_300_100, 0.2, 8]] as const) {
      const wi = initialWeights(spec, new Rng(7));
      const mi = randomMasks(spec, keep, 8);
      const b = batch(spec, n, 9);
      for (const l1 of [0, 1e-3]) {
        const ws = spec.parameters.map((l, i) => op.tensor(wi[i]!, [l.fanIn, l.fanOut]));
        const ms = spec.parameters.map((l, i) => op.tensor(mi[i]!, [l.fanIn, l.fanOut]));
        const [xs, ys] = [op.tensor(b.x, [n, spec.parameters[0]!.fanIn]), op.tensor(b.y, [n, spec.parameters[spec.parameters.length - 1]!.fanOut])];
        const { grads } = valueAndGrad((...v: Tensor[]) => trainingLoss(spec, v, ms, xs, ys, l1, xs))(...ws);
        grads.forEach((g, layer) => {
          const gv = g.dataSync();
          let [nonzero, unpruned, leaks] = [0, 0, 0];
          mi[layer]!.forEach((mask, k) => {
            if (mask === 0) leaks += gv[k] === 0 ? 0 : 1; // 0 and -0 both count as zero
            else {
              unpruned++;
              if (gv[k] !== 0) nonzero++;
            }
          });
          expect(leaks, `pruned weights of layer ${layer} with a nonzero gradient`).toBe(0);
          expect(nonzero).toBeGreaterThan(unpruned / 4);
        });
        disposeAll([ws, ms, xs, ys, grads]);
      }
    }
  });
});

describe('trainStep keeps pruned weights pruned', () => {
  for (const l1 of [0, 0.01]) {
    it(`through 40 Adam steps, l1 = ${l1}: W unchanged where M = 0, W * M exactly 0 there, the rest moves`, () => {
      const w0 = initialWeights(SMALL, new Rng(21));
      const masks = randomMasks(SMALL, 0.5, 22);
      const net = createNetwork(SMALL, w0, masks);
      const adam = new Adam({ ...ADAM_DEFAULTS, learningRate: 0.01 });
      const losses: number[] = [];
      for (let step = 0; step < 40; step++) {
        const b = batch(SMALL, BATCH, 100 + (step % 4));
        const [x, y] = [op.tensor(b.x, [BATCH, 12]), op.tensor(b.y, [BATCH, 4])];
        const loss = trainStep(net, adam, x, y, l1);
        expect(loss.shape).toEqual([]);
        losses.push(loss.item());
        disposeAll([x, y, loss]);
      }
      const w = readParameters(net.weights);
      const effective = readParameters(effectiveWeights(net.weights, net.masks));
      masks.forEach((mask, layer) => {
        let moved = 0;
        mask.forEach((mk, k) => {
          if (mk === 0) {
            expect(w[layer]![k], `layer ${layer} weight ${k}`).toBe(w0[layer]![k]);
            expect(Math.abs(effective[layer]![k]!)).toBe(0); // 0 or -0 (a negative W times 0)
          } else if (w[layer]![k] !== w0[layer]![k]) moved++;
        });
        // Weights into dead ReLU units may legitimately stay put; most others move.
        expect(moved).toBeGreaterThan(mask.reduce((s, v) => s + v, 0) / 4);
      });
      expect(losses[losses.length - 1]).toBeLessThan(losses[0]!);
      disposeNetwork(net);
      adam.reset();
    });
  }

  it('is deterministic: the same seed and batches give bit-identical weights', () => {
    const run = () => {
      const net = createNetwork(SMALL, initialWeights(SMALL, new Rng(31)), randomMasks(SMALL, 0.7, 32));
      const adam = new Adam();
      for (let step = 0; step < 5; step++) {
        const b = batch(SMALL, BATCH, 200 + step);
        const [x, y] = [op.tensor(b.x, [BATCH, 12]), op.tensor(b.y, [BATCH, 4])];
        disposeAll([trainStep(net, adam, x, y, 1e-3, x), x, y]);
      }
      const out = readParameters(net.weights);
      disposeNetwork(net);
      adam.reset();
      return out;
    };
    expect(run()).toEqual(run());
  });
});

describe('trainStep differentiates with respect to the effective weights W * M', () => {
  /** One step the direct way: the gradient through the mask product (d/dW of trainingLoss(W, M)), then Adam. */
  function throughTheMask(w0: ParameterArrays, masks: ParameterArrays, x: Tensor, y: Tensor, l1: number, xAdv?: Tensor): ParameterArrays {
    const net = createNetwork(SMALL, w0, masks);
    const adam = new Adam({ ...ADAM_DEFAULTS, learningRate: 0.01 });
    const { value, grads } = valueAndGrad((...ws: Tensor[]) => trainingLoss(net.spec, ws, net.masks, x, y, l1, xAdv))(...net.weights);
    const next = adam.apply(net.weights, grads);
    const out = readParameters(next);
    disposeAll([value, grads, next]);
    disposeNetwork(net);
    adam.reset();
    return out;
  }

  for (const l1 of [0, 0.01]) {
    it(`gives bit-identical weights to differentiating through the mask (l1 = ${l1}, with an adversarial half)`, () => {
      const w0 = initialWeights(SMALL, new Rng(41));
      const masks = randomMasks(SMALL, 0.6, 42);
      const b = batch(SMALL, BATCH, 43);
      const [x, y, xAdv] = [op.tensor(b.x, [BATCH, 12]), op.tensor(b.y, [BATCH, 4]), op.tensor(batch(SMALL, BATCH, 44).x, [BATCH, 12])];
      const want = throughTheMask(w0, masks, x, y, l1, xAdv);
      for (const adversarial of [xAdv, () => op.add(xAdv, 0)]) {
        const net = createNetwork(SMALL, w0, masks);
        const adam = new Adam({ ...ADAM_DEFAULTS, learningRate: 0.01 });
        const loss = trainStep(net, adam, x, y, l1, adversarial);
        expect(readParameters(net.weights)).toEqual(want);
        disposeAll([loss]);
        disposeNetwork(net);
        adam.reset();
      }
      disposeAll([x, y, xAdv]);
    });
  }

  it('crafts the adversarial half from the effective weights of the step, once', () => {
    const net = createNetwork(SMALL, initialWeights(SMALL, new Rng(51)), randomMasks(SMALL, 0.5, 52));
    const adam = new Adam();
    const b = batch(SMALL, BATCH, 53);
    const [x, y] = [op.tensor(b.x, [BATCH, 12]), op.tensor(b.y, [BATCH, 4])];
    const expected = readParameters(effectiveWeights(net.weights, net.masks));
    const seen: ParameterArrays[] = [];
    disposeAll([trainStep(net, adam, x, y, 0, (c) => (seen.push(readParameters(c.params)), op.add(x, 0)))]);
    expect(seen).toEqual([expected]);
    disposeAll([x, y]);
    disposeNetwork(net);
    adam.reset();
  });
});
