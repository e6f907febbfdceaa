import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import { apgd, pgdRestarts, squareAttack, type Attack } from '../../../core/attacks/strong/index.js';
import { Rng } from '../../../core/nn/rng.js';
import { useReferenceBackend } from '../../support/backend.js';
import { D, linearClassifier, linearProblem, margin64, oracleMargin, type LinearProblem } from './linear-problem.js';

useReferenceBackend();

const EPS = 0.05;
const ball = { eps: EPS, clipMin: 0, clipMax: 1 };

const gradientAttacks: Attack[] = [
  pgdRestarts({ ...ball, iterations: 100, restarts: 1, loss: 'ce' }),
  pgdRestarts({ ...ball, iterations: 100, restarts: 1, loss: 'dlr' }),
  apgd({ ...ball, iterations: 100, restarts: 1, loss: 'ce' }),
  apgd({ ...ball, iterations: 100, restarts: 1, loss: 'dlr' }),
  apgd({ ...ball, iterations: 100, restarts: 1, loss: 'dlr-targeted', targets: 3 }),
];

/** The attack's examples and their float64 margins. */
function attackMargins(attack: Attack, problem: LinearProblem, seed: number): number[] {
  return tidy(() => {
    const x = op.tensor(problem.x, [problem.n, D]);
    const adv = attack.craft(linearClassifier(problem), x, problem.labels, new Rng(seed)).dataSync();
    return Array.from({ length: problem.n }, (_, i) => margin64(problem, adv.subarray(i * D, (i + 1) * D), problem.labels[i]!));
  });
}

describe('the strong attacks against the closed-form worst case of a linear classifier', () => {
  for (const attack of gradientAttacks) {
    it(`${attack.name} reaches the minimal margin within 1e-4 where the image stays correct`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: 0.05, max: 1, noNaN: true }), (seed, worst) => {
          const problem = linearProblem(seed, 3, EPS, worst);
          const margins = attackMargins(attack, problem, seed + 1);
          margins.forEach((m, i) => {
            const oracle = oracleMargin(problem, i);
            if (oracle <= 0) return;
            expect(Math.abs(m - oracle), `image ${i}: margin ${m}, closed form ${oracle}`).toBeLessThanOrEqual(1e-4);
          });
          expect(oracleMargin(problem, 0)).toBeGreaterThan(0);
        }),
        { seed: 24, numRuns: 6 },
      );
    });

    it(`${attack.name} misclassifies every image whose closed-form minimal margin is negative, and never beats it`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1e6 }), fc.double({ min: -1, max: 1, noNaN: true }), (seed, worst) => {
          const problem = linearProblem(seed, 4, EPS, worst);
          const margins = attackMargins(attack, problem, seed + 1);
          margins.forEach((m, i) => {
            const oracle = oracleMargin(problem, i);
            expect(m).toBeGreaterThanOrEqual(oracle - 1e-4);
            if (oracle < -1e-3) expect(m, `image ${i}: closed form ${oracle}`).toBeLessThan(0);
          });
        }),
        { seed: 25, numRuns: 6 },
      );
    });
  }

  it('square attack finds the misclassification of easy images within 1000 queries, and never beats the closed form', () => {
    const attack = squareAttack({ ...ball, queries: 1000 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        // Easy: the ball's worst margin is below -0.4 for every image, while the clean margin is positive.
        const problem = linearProblem(seed, 4, EPS, -0.8);
        const margins = attackMargins(attack, problem, seed + 1);
        margins.forEach((m, i) => {
          const oracle = oracleMargin(problem, i);
          expect(m).toBeGreaterThanOrEqual(oracle - 1e-4);
          if (oracle < -0.4) expect(m, `image ${i}: closed form ${oracle}`).toBeLessThan(0);
        });
      }),
      { seed: 26, numRuns: 4 },
    );
  });
});
