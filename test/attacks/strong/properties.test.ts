import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHost, tidy } from '../../../core/autodiff/engine.js';
import { apgd, marginsOf, pgdRestarts, squareAttack, transferAttack, type Attack, type Ball, type Classifier } from '../../../core/attacks/strong/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { useReferenceBackend } from '../../support/backend.js';
import { smallMlp } from './small-mlp.js';

useReferenceBackend();

/** 7 x 7 single-channel images, so that Square Attack's default image shape applies. */
const [D, H, K, N] = [49, 16, 10, 5];

const mlp = (seed: number) => smallMlp(seed, D, H, K);

/** MNIST-like rows: exact 0s and 1s (where clipping bites) and values between, inside [min, max]. */
function images(rng: Rng, min: number, max: number): Float32Array {
  return Float32Array.from({ length: N * D }, () => {
    const u = rng.next();
    return u < 0.4 ? min : u < 0.5 ? max : rng.uniform(min, max);
  });
}

const attacksFor = (ball: Ball, source: Classifier): Attack[] => [
  pgdRestarts({ ...ball, iterations: 5, restarts: 2, loss: 'ce' }),
  pgdRestarts({ ...ball, iterations: 5, restarts: 1, loss: 'dlr', randomStart: false }),
  apgd({ ...ball, iterations: 6, restarts: 2, loss: 'ce' }),
  apgd({ ...ball, iterations: 6, restarts: 1, loss: 'dlr' }),
  apgd({ ...ball, iterations: 5, restarts: 1, loss: 'dlr-targeted', targets: 3 }),
  squareAttack({ ...ball, queries: 30 }),
  transferAttack(apgd({ ...ball, iterations: 5, restarts: 1, loss: 'ce' }), source),
];

const NAMES = attacksFor({ eps: 0.1, clipMin: 0, clipMax: 1 }, (x) => x).map((a) => a.name);

const problemArb = fc.record({
  seed: fc.integer({ min: 0, max: 1e6 }),
  eps: fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 0.6, noNaN: true })),
  range: fc.constantFrom([0, 1], [0.1, 0.9]),
});

describe('every strong attack', () => {
  NAMES.forEach((name, index) => {
    it(`${name}: outputs in the eps-ball and the clip range, the same bits from the same seed, the network unchanged`, () => {
      fc.assert(
        fc.property(problemArb, ({ seed, eps, range }) => tidy(() => {
          const [clipMin, clipMax] = range as [number, number];
          const ball = { eps, clipMin, clipMax };
          const target = mlp(seed);
          const source = mlp(seed + 1);
          const attack = attacksFor(ball, source.classifier)[index]!;
          const rng = new Rng(seed + 2);
          const xs = images(rng, clipMin, clipMax);
          const labels = Int32Array.from({ length: N }, () => rng.int(K));
          const x = fromHost(xs, [N, D]);
          const weightsBefore = target.weights.map((w) => w.toArray());
          const logitsBefore = target.classifier(x).toArray();

          const adv = attack.craft(target.classifier, x, labels, new Rng(seed + 3)).dataSync();
          for (let i = 0; i < adv.length; i++) {
            expect(Math.abs(adv[i]! - xs[i]!)).toBeLessThanOrEqual(eps + 1e-6);
            expect(adv[i]).toBeGreaterThanOrEqual(clipMin);
            expect(adv[i]).toBeLessThanOrEqual(clipMax);
          }
          expect(Array.from(attack.craft(target.classifier, x, labels, new Rng(seed + 3)).dataSync())).toEqual(Array.from(adv));
          expect(target.weights.map((w) => w.toArray())).toEqual(weightsBefore);
          expect(target.classifier(x).toArray()).toEqual(logitsBefore);

          // The clean image is in the ball: a white-box or black-box attack's worst case is never better than it.
          if (attack.kind !== 'transfer') {
            const clean = marginsOf(Float32Array.from(logitsBefore), labels, K);
            const attacked = marginsOf(target.classifier(fromHost(adv, [N, D])).dataSync(), labels, K);
            for (let i = 0; i < N; i++) {
              if (clean.fooled[i]) expect(attacked.fooled[i]).toBe(1);
              else if (!attacked.fooled[i]) expect(attacked.margin[i]).toBeLessThanOrEqual(clean.margin[i]! + 1e-6);
            }
          }
        })),
        { seed: 50 + index, numRuns: 15 },
      );
    });
  });
});
