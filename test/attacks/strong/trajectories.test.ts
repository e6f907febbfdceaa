import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../../backends/reference/index.js';
import { fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { apgd, apgdCheckpoints, pgdRestarts, type Attack } from '../../../core/attacks/strong/index.js';
import { halvings } from '../../../core/attacks/strong/apgd.js';
import { Rng } from '../../../core/nn/rng.js';
import { logitsOf, plainAttack, plainCheckpoints, type Counters, type Mlp, type PlainSettings } from './plain-attacks.js';

// float64 storage, so that the library and the plain implementation agree to rounding of order 1e-15.
beforeAll(() => setActiveBackend(createReferenceBackend('float64')));

const [D, H, K] = [12, 8, 5];
/** Representable in float32: scalars enter the graph as float32 constants. */
const EPS = 0.125;

function network(seed: number): Mlp {
  const rng = new Rng(seed);
  return { w1: Float64Array.from(rng.uniformArray(D * H, -1, 1)), w2: Float64Array.from(rng.uniformArray(H * K, -1, 1)), d: D, h: H, k: K };
}

const classifierOf = (net: Mlp) => {
  const w1 = fromHost(net.w1, [D, H]);
  const w2 = fromHost(net.w2, [H, K]);
  return (x: Tensor) => op.matmul(op.relu(op.matmul(x, w1)), w2);
};

interface Case {
  readonly name: string;
  readonly attack: Attack;
  readonly plain: PlainSettings;
}

const ball = { eps: EPS, clipMin: 0, clipMax: 1 };
const CASES: Case[] = [
  { name: 'PGD-CE, 20 iterations, 3 restarts', attack: pgdRestarts({ ...ball, iterations: 20, restarts: 3, loss: 'ce', step: 0.03125 }),
    plain: { eps: EPS, iterations: 20, runs: 3, loss: 'ce', step: 0.03125 } },
  { name: 'PGD-DLR, 20 iterations, 2 restarts', attack: pgdRestarts({ ...ball, iterations: 20, restarts: 2, loss: 'dlr', step: 0.03125 }),
    plain: { eps: EPS, iterations: 20, runs: 2, loss: 'dlr', step: 0.03125 } },
  { name: 'APGD-CE, 40 iterations, 2 restarts', attack: apgd({ ...ball, iterations: 40, restarts: 2, loss: 'ce' }),
    plain: { eps: EPS, iterations: 40, runs: 2, loss: 'ce' } },
  { name: 'APGD-DLR, 40 iterations', attack: apgd({ ...ball, iterations: 40, restarts: 1, loss: 'dlr' }),
    plain: { eps: EPS, iterations: 40, runs: 1, loss: 'dlr' } },
  { name: 'APGD-T, 3 targets, 2 restarts each, 25 iterations', attack: apgd({ ...ball, iterations: 25, restarts: 2, loss: 'dlr-targeted', targets: 3 }),
    plain: { eps: EPS, iterations: 25, runs: 6, loss: 'dlr-targeted', restartsPerTarget: 2 } },
];

describe('PGD and APGD follow the published algorithms (a plain per-image implementation as the oracle)', () => {
  it('the checkpoints for 100 iterations are the paper\'s 0, 22, 41, 57, 70, 80, 87, 93, 99', () => {
    // By hand: 0.22; +max(0.22 - 0 - 0.03, 0.06) = 0.41; +0.16 = 0.57; +0.13 = 0.70; +0.10 = 0.80; +0.07 = 0.87;
    // +0.06 = 0.93; +0.06 = 0.99; the next, 1.05, is past the end.
    expect(apgdCheckpoints(100)).toEqual([0, 22, 41, 57, 70, 80, 87, 93, 99]);
    for (const n of [1, 2, 5, 7, 10, 33, 250]) expect(apgdCheckpoints(n)).toEqual(plainCheckpoints(n));
  });

  it('halves the step where fewer than rho * span steps raised the loss, or where nothing changed since the last checkpoint', () => {
    // span 20, rho 0.75: 15 raising steps keep the step, 14 halve it.
    const raised = Uint32Array.of(15, 14, 20, 20, 20);
    const best = Float64Array.of(1, 1, 2, 2, 2);
    const bestAtLast = Float64Array.of(0, 0, 2, 2, 1);
    const reducedAtLast = Uint8Array.of(0, 0, 0, 1, 0);
    // image 2: best loss unchanged, step not halved last time -> halve; image 3: unchanged but halved last time -> keep.
    expect(Array.from(halvings(raised, 0.75 * 20, best, bestAtLast, reducedAtLast))).toEqual([0, 1, 1, 0, 0]);
  });

  for (const c of CASES) {
    it(`${c.name}: the same worst-case points`, () => {
      const counters: Counters = { halvings: 0, kept: 0 };
      let fooled = 0;
      let total = 0;
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => tidy(() => {
          const net = network(seed);
          const rng = new Rng(seed + 1);
          const xs = Float64Array.from(rng.uniformArray(6 * D, 0, 1));
          const labels = Int32Array.from({ length: 6 }, (_, i) => {
            const z = logitsOf(net, xs.subarray(i * D, (i + 1) * D));
            return i % 3 === 0 ? rng.int(K) : z.indexOf(Math.max(...z)); // mostly correct clean, some not
          });
          const expected = plainAttack(net, xs, labels, seed + 2, c.plain, counters);
          const actual = c.attack.craft(classifierOf(net), fromHost(xs, [6, D]), labels, new Rng(seed + 2)).dataSync();
          let worst = 0;
          for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
          expect(worst).toBeLessThanOrEqual(1e-9);
          for (let i = 0; i < 6; i++) {
            const z = logitsOf(net, actual.subarray(i * D, (i + 1) * D));
            fooled += z.indexOf(Math.max(...z)) !== labels[i] ? 1 : 0;
            total++;
          }
        })),
        { seed: 41, numRuns: 12 },
      );
      // The cases exercise both outcomes, and (APGD) both branches of the checkpoint rule.
      expect(fooled).toBeGreaterThan(0);
      expect(fooled).toBeLessThan(total);
      if (c.plain.step === undefined) {
        expect(counters.halvings).toBeGreaterThan(0);
        expect(counters.kept).toBeGreaterThan(0);
      }
    });
  }
});
