import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { crossEntropyPerImage, dlrPerImage, oneHotOf, targetedDlrPerImage } from '../../../core/attacks/strong/losses.js';
import { marginsOf, rankedTargets } from '../../../core/attacks/strong/margins.js';
import { expectAllClose } from '../../support/allclose.js';
import { range } from '../../support/arbitraries.js';
import { useReferenceBackend } from '../../support/backend.js';
import { expectGradientsMatch } from '../../support/gradcheck.js';

useReferenceBackend();

const K = 6;

/** K distinct logits at least 0.45 apart (no ties, no kinks of the ranking within a finite-difference step). */
const rowArb = fc
  .tuple(fc.shuffledSubarray(range(16), { minLength: K, maxLength: K }), fc.array(fc.double({ min: 0, max: 0.05, noNaN: true }), { minLength: K, maxLength: K }))
  .map(([grid, jitter]) => grid.map((g, c) => Math.fround((g - 8) * 0.5 + jitter[c]!)));

const problemArb = (n: number) =>
  fc.record({
    logits: fc.array(rowArb, { minLength: n, maxLength: n }).map((rows) => rows.flat()),
    labels: fc.array(fc.integer({ min: 0, max: K - 1 }), { minLength: n, maxLength: n }),
    targetShift: fc.array(fc.integer({ min: 1, max: K - 1 }), { minLength: n, maxLength: n }),
  });

/** The same losses in plain float64 JavaScript, from the paper's formulas. */
function handLosses(row: number[], y: number, t: number) {
  const sorted = [...row].sort((a, b) => b - a);
  const otherMax = Math.max(...row.filter((_, c) => c !== y));
  const top = Math.max(...row);
  const logSum = Math.log(row.reduce((s, z) => s + Math.exp(z - top), 0)) + top;
  return {
    ce: logSum - row[y]!,
    dlr: -(row[y]! - otherMax) / (sorted[0]! - sorted[2]! + 1e-12),
    targeted: -(row[y]! - row[t]!) / (sorted[0]! - (sorted[2]! + sorted[3]!) / 2 + 1e-12),
    margin: row[y]! - otherMax,
  };
}

describe('per-image attack losses against their formulas', () => {
  it('cross-entropy, DLR and targeted DLR equal the hand computation, row by row', () => {
    fc.assert(
      fc.property(problemArb(5), ({ logits, labels, targetShift }) => tidy(() => {
        const n = labels.length;
        const targets = labels.map((y, i) => (y + targetShift[i]!) % K);
        const z = op.tensor(logits, [n, K]);
        const y = oneHotOf(Int32Array.from(labels), K);
        const t = oneHotOf(Int32Array.from(targets), K);
        const rows = labels.map((_, i) => handLosses(logits.slice(i * K, (i + 1) * K), labels[i]!, targets[i]!));
        expectAllClose(crossEntropyPerImage(z, y).dataSync(), rows.map((r) => r.ce), 1e-5, 1e-5);
        expectAllClose(dlrPerImage(z, y).dataSync(), rows.map((r) => r.dlr), 1e-5, 1e-5);
        expectAllClose(targetedDlrPerImage(z, y, t).dataSync(), rows.map((r) => r.targeted), 1e-5, 1e-5);
        expectAllClose(marginsOf(Float32Array.from(logits), labels, K).margin, rows.map((r) => r.margin), 1e-6, 1e-6);
      })),
      { seed: 31, numRuns: 40 },
    );
  });

  it('DLR is unchanged by shifting and positively rescaling the logits', () => {
    tidy(() => {
      const z = op.tensor([3, -1, 0.5, 2, -2, 1, 0.2, 4, -0.3, 1.7, 2.2, -1], [2, K]);
      const y = oneHotOf(Int32Array.of(0, 3), K);
      const moved = op.add(op.mul(z, 7), 3);
      expectAllClose(dlrPerImage(moved, y).dataSync(), dlrPerImage(z, y).dataSync(), 1e-5, 1e-6);
    });
  });

  for (const [name, loss] of [
    ['cross-entropy', (z: Tensor, n: number) => crossEntropyPerImage(z, oneHotOf(Int32Array.from({ length: n }, (_, i) => i % K), K))],
    ['DLR', (z: Tensor, n: number) => dlrPerImage(z, oneHotOf(Int32Array.from({ length: n }, (_, i) => i % K), K))],
    ['targeted DLR', (z: Tensor, n: number) => targetedDlrPerImage(z, oneHotOf(Int32Array.from({ length: n }, (_, i) => i % K), K),
      oneHotOf(Int32Array.from({ length: n }, (_, i) => (i + 2) % K), K))],
  ] as const) {
    it(`the gradient of ${name} matches float64 finite differences`, () => {
      fc.assert(
        fc.property(problemArb(3), fc.integer({ min: 0, max: 1e6 }), ({ logits }, rSeed) => {
          expectGradientsMatch((z) => loss(z, 3), [{ values: logits, shape: [3, K] }], rSeed);
        }),
        { seed: 32, numRuns: 20 },
      );
    });
  }
});

describe('margins and targets', () => {
  it('the fooled flag follows argmax with ties to the lower class, and targets rank the wrong classes by logit', () => {
    const logits = Float32Array.of(1, 3, 3, 0, /* */ 2, 2, 1, 0);
    const { margin, fooled } = marginsOf(logits, [2, 0], 4);
    expect(Array.from(margin)).toEqual([0, 0]);
    expect(Array.from(fooled)).toEqual([1, 0]); // row 0: argmax is class 1 (first of the tie); row 1: class 0
    expect(Array.from(rankedTargets(logits, [2, 0], 4, 1))).toEqual([1, 1]);
    expect(Array.from(rankedTargets(logits, [2, 0], 4, 2))).toEqual([0, 2]);
    expect(Array.from(rankedTargets(logits, [2, 0], 4, 3))).toEqual([3, 3]);
  });
});
