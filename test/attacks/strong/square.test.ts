import { describe, expect, it } from 'vitest';
import { fromHost, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import { marginsOf, squareAttack, squareFraction, squareSide } from '../../../core/attacks/strong/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { useReferenceBackend } from '../../support/backend.js';
import { counting, smallMlp } from './small-mlp.js';

useReferenceBackend();

const [SIDE, K, N] = [7, 10, 6];
const D = SIDE * SIDE;
const ball = { eps: 0.2, clipMin: 0, clipMax: 1 };

function batch(seed: number) {
  const rng = new Rng(seed);
  const xs = Float32Array.from({ length: N * D }, () => (rng.next() < 0.4 ? 0 : rng.next()));
  return { xs, labels: Int32Array.from({ length: N }, () => rng.int(K)) };
}

describe('Square Attack schedule', () => {
  it('halves p after 10, 50, 200, 500, 1000, 2000, 4000, 6000 and 8000 of 10,000 queries, rescaled to the budget', () => {
    const at = (i: number, budget: number) => squareFraction(0.8, i, budget) / 0.8;
    expect([10, 11, 50, 51, 200, 201, 500, 501, 1000, 1001, 2000, 2001, 4000, 4001, 6000, 6001, 8000, 8001, 9999].map((i) => at(i, 10000)))
      .toEqual([1, 1 / 2, 1 / 2, 1 / 4, 1 / 4, 1 / 8, 1 / 8, 1 / 16, 1 / 16, 1 / 32, 1 / 32, 1 / 64, 1 / 64, 1 / 128, 1 / 128, 1 / 256, 1 / 256, 1 / 512, 1 / 512]);
    // A budget of 1000: query i stands for 10 i of 10,000.
    expect([1, 2, 5, 6, 20, 21].map((i) => at(i, 1000))).toEqual([1, 1 / 2, 1 / 2, 1 / 4, 1 / 4, 1 / 8]);
  });

  it('the window side is round(sqrt(p h w)) within [1, min(h, w)]', () => {
    const mnist = { height: 28, width: 28, channels: 1 };
    expect(squareSide(0.8, mnist)).toBe(25); // sqrt(627.2) = 25.04
    expect(squareSide(0.8 / 512, mnist)).toBe(1); // sqrt(1.225) = 1.1
    expect(squareSide(1e-6, mnist)).toBe(1);
    expect(squareSide(1, { height: 4, width: 9, channels: 3 })).toBe(4);
  });
});

describe('Square Attack runs', () => {
  it('starts from vertical stripes: one sign per image and column, x + sign * eps clipped', () => {
    tidy(() => {
      const { xs, labels } = batch(1);
      const { classifier } = smallMlp(2, D);
      const clean = marginsOf(classifier(fromHost(xs, [N, D])).dataSync(), labels, K);
      const adv = squareAttack({ ...ball, queries: 1 }).craft(classifier, fromHost(xs, [N, D]), labels, new Rng(3)).dataSync();
      const clip = (v: number) => Math.fround(Math.min(Math.max(v, 0), 1));
      let checked = 0;
      for (let i = 0; i < N; i++) {
        if (clean.fooled[i]) continue; // the clean image is already the worst case
        for (let col = 0; col < SIDE; col++) {
          const rows = Array.from({ length: SIDE }, (_, r) => i * D + r * SIDE + col);
          const fits = (s: number) => rows.every((p) => adv[p] === clip(xs[p]! + s * ball.eps));
          expect(fits(1) || fits(-1), `image ${i} column ${col}`).toBe(true);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  });

  it('never leaves a margin above its starting point\'s, and queries each image at most its budget', () => {
    tidy(() => {
      const { xs, labels } = batch(4);
      const net = smallMlp(5, D);
      const x = fromHost(xs, [N, D]);
      const start = squareAttack({ ...ball, queries: 1 }).craft(net.classifier, x, labels, new Rng(6));
      const counter = counting(net.classifier);
      const searched = squareAttack({ ...ball, queries: 100 }).craft(counter.classifier, x, labels, new Rng(6));
      const before = marginsOf(net.classifier(start).dataSync(), labels, K);
      const after = marginsOf(net.classifier(searched).dataSync(), labels, K);
      for (let i = 0; i < N; i++) {
        if (before.fooled[i]) expect(after.fooled[i]).toBe(1);
        else if (!after.fooled[i]) expect(after.margin[i]).toBeLessThanOrEqual(before.margin[i]!);
      }
      // The clean logits, then at most 100 queries per image.
      expect(counter.rows).toBeLessThanOrEqual(N + 100 * N);
      expect(after.margin.some((m, i) => m < before.margin[i]!)).toBe(true);
    });
  });

  it('queries no image that is misclassified already', () => {
    tidy(() => {
      const { xs } = batch(7);
      const net = smallMlp(8, D);
      const predicted = Int32Array.from(op.argmax(net.classifier(fromHost(xs, [N, D])), -1).dataSync());
      const wrong = predicted.map((p) => (p + 1) % K);
      const counter = counting(net.classifier);
      const adv = squareAttack({ ...ball, queries: 50 }).craft(counter.classifier, fromHost(xs, [N, D]), wrong, new Rng(9)).dataSync();
      expect(counter.calls).toBe(1); // the clean logits only
      expect(Array.from(adv)).toEqual(Array.from(xs));
    });
  });
});
