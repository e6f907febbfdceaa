import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keep, tidy } from '../../core/autodiff/engine.js';
import { valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, fgsm, pgd } from '../../core/attacks/index.js';
import { ConfigError } from '../../core/errors.js';
import { crossEntropy } from '../../core/nn/loss.js';
import { denseChain } from '../../core/nn/layers.js';
import { Rng } from '../../core/nn/rng.js';
import { trainingLoss } from '../../core/nn/train-step.js';
import { expectAllClose } from '../support/allclose.js';
import { useReferenceBackend } from '../support/backend.js';
import { mlpClassifier } from '../support/classifier.js';

useReferenceBackend();

const DIMS = [12, 8, 5];

/** A small random ReLU network and a batch of inputs in [0, 1], from one seed. */
function problem(seed: number, batch = 4) {
  const rng = new Rng(seed);
  const effective = DIMS.slice(0, -1).map((d, i) => op.tensor(rng.uniformArray(d * DIMS[i + 1]!, -1, 1), [d, DIMS[i + 1]!]));
  const x = op.tensor(rng.uniformArray(batch * DIMS[0]!, 0, 1), [batch, DIMS[0]!]);
  return { effective, x, rng };
}

function linf(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('attack bounds', () => {
  it('FGSM and PGD stay within eps of x and inside [0, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0, max: 0.6, noNaN: true }), fc.constantFrom('fgsm', 'pgd'),
        (seed, eps, name) => tidy(() => {
          const { effective, x, rng } = problem(seed);
          const spec = attackSpec(name as 'fgsm' | 'pgd', { eps, iterations: 3, step: eps / 2 + 0.01 });
          const adv = name === 'fgsm' ? fgsm(mlpClassifier(effective), x, spec) : pgd(mlpClassifier(effective), x, spec, rng);
          const [xs, as] = [x.dataSync(), adv.dataSync()];
          expect(linf(as, xs)).toBeLessThanOrEqual(eps + 1e-6);
          expect(Math.min(...as)).toBeGreaterThanOrEqual(0);
          expect(Math.max(...as)).toBeLessThanOrEqual(1);
        })),
      { seed: 7, numRuns: 40 },
    );
  });

  it('PGD with one step of size eps and no random start equals FGSM', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0.01, max: 0.5, noNaN: true }), (seed, eps) => tidy(() => {
        const { effective, x, rng } = problem(seed);
        const viaFgsm = fgsm(mlpClassifier(effective), x, attackSpec('fgsm', { eps }));
        const viaPgd = pgd(mlpClassifier(effective), x, attackSpec('pgd', { eps, step: eps, iterations: 1, randomStart: false }), rng);
        expectAllClose(viaPgd.dataSync(), viaFgsm.dataSync(), 0, 1e-6);
      })),
      { seed: 11, numRuns: 30 },
    );
  });
});

describe('FGSM against a hand derivation', () => {
  it('moves each pixel by eps in the sign of W (softmax(xW) - onehot(argmax xW)), then clips', () => {
    tidy(() => {
      const rng = new Rng(3);
      const [n, d, k] = [3, 6, 4];
      const w = rng.uniformArray(d * k, -1, 1);
      const x = rng.uniformArray(n * d, 0, 1);
      const eps = 0.2;
      const adv = fgsm(mlpClassifier([op.tensor(w, [d, k])]), op.tensor(x, [n, d]), attackSpec('fgsm', { eps })).dataSync();
      for (let i = 0; i < n; i++) {
        const logits = Array.from({ length: k }, (_, c) => Array.from({ length: d }, (_, j) => x[i * d + j]! * w[j * k + c]!).reduce((a, b) => a + b));
        const top = logits.indexOf(Math.max(...logits));
        const z = logits.map((l) => Math.exp(l - logits[top]!));
        const total = z.reduce((a, b) => a + b);
        const residual = z.map((v, c) => v / total - (c === top ? 1 : 0));
        for (let j = 0; j < d; j++) {
          const g = residual.reduce((s, r, c) => s + r * w[j * k + c]!, 0);
          const expected = Math.min(1, Math.max(0, x[i * d + j]! + eps * Math.sign(g)));
          expect(adv[i * d + j]).toBeCloseTo(expected, 6);
        }
      }
    });
  });

  it('uses the predicted labels: the attack raises the loss of the prediction it started from', () => {
    tidy(() => {
      const { effective, x } = problem(5, 16);
      const predicted = op.oneHot(op.argmax(denseChain(effective, x), -1), 5);
      const adv = fgsm(mlpClassifier(effective), x, attackSpec('fgsm', { eps: 0.05 }));
      const before = crossEntropy(denseChain(effective, x), predicted).item();
      const after = crossEntropy(denseChain(effective, adv), predicted).item();
      expect(after).toBeGreaterThan(before);
    });
  });
});

describe('attack validation', () => {
  it('rejects impossible parameters before doing any work', () => {
    expect(() => attackSpec('fgsm', { eps: -0.1 })).toThrow(ConfigError);
    expect(() => attackSpec('pgd', { step: 0 })).toThrow(/step/);
    expect(() => attackSpec('pgd', { iterations: 0 })).toThrow(/iterations/);
    expect(() => attackSpec('pgd', { iterations: 2.5 })).toThrow(/whole number/);
    expect(() => attackSpec('fgsm', { clipMin: 1, clipMax: 0 })).toThrow(/clip range/);
    expect(() => attackSpec('cw' as 'fgsm')).toThrow(/unknown attack/);
  });
});

describe('adversarial training loss', () => {
  it('is 0.5 CE(x) + 0.5 CE(x_adv) with no gradient through the attack', () => {
    tidy(() => {
      const { effective: weights, x, rng } = problem(9, 6);
      const masks = weights.map((w) => op.onesLike(w));
      const targets = op.oneHot(op.tensor(Int32Array.from([0, 1, 2, 3, 4, 0]), [6], 'int32'), 5);
      const xAdv = keep(pgd(mlpClassifier(weights), x, attackSpec('pgd', { iterations: 2 }), rng));
      const combined = valueAndGrad((...ws: Tensor[]) => trainingLoss(mlpClassifier(weights).spec, ws, masks, x, targets, 0, xAdv))(...weights);
      const clean = valueAndGrad((...ws: Tensor[]) => crossEntropy(denseChain(ws, x), targets))(...weights);
      const attacked = valueAndGrad((...ws: Tensor[]) => crossEntropy(denseChain(ws, xAdv), targets))(...weights);
      expect(combined.value.item()).toBeCloseTo(0.5 * clean.value.item() + 0.5 * attacked.value.item(), 6);
      combined.grads.forEach((g, i) => {
        const expected = op.add(op.mul(clean.grads[i]!, 0.5), op.mul(attacked.grads[i]!, 0.5));
        expectAllClose(g.dataSync(), expected.dataSync(), 1e-5, 1e-7);
      });
    });
  });
});
