/**
 * The two forms of the cross-entropy (core/nn/loss.ts, LOSS_FORMS): from the logits, and Keras' computation
 * from clipped softmax probabilities. Oracles: a float64 computation written out here, and float64 finite
 * differences for the gradient.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHost, tidy } from '../../core/autodiff/engine.js';
import { crossEntropy, KERAS_EPSILON } from '../../core/nn/loss.js';
import { constant, expectGradientsMatch } from '../support/gradcheck.js';
import { useReferenceBackend } from '../support/backend.js';

useReferenceBackend();

/** -mean over rows of sum(t * log(clip(p / sum p, eps, 1 - eps))), p = softmax(z), in float64. */
function clippedOracle(logits: number[][], targets: number[][]): number {
  const rows = logits.map((z, i) => {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    const p = e.map((v) => v / s);
    const ps = p.reduce((a, b) => a + b, 0);
    return -p.reduce((acc, v, j) => acc + targets[i]![j]! * Math.log(Math.min(Math.max(v / ps, KERAS_EPSILON), 1 - KERAS_EPSILON)), 0);
  });
  return rows.reduce((a, b) => a + b, 0) / rows.length;
}

const value = (logits: number[][], targets: number[][], form: 'logits' | 'clipped_probabilities') =>
  tidy(() => crossEntropy(fromHost(Float32Array.from(logits.flat()), [logits.length, logits[0]!.length]),
    fromHost(Float32Array.from(targets.flat()), [targets.length, targets[0]!.length]), form).item());

const smoothed = (label: number, classes: number) => Array.from({ length: classes }, (_, j) => (j === label ? 0.91 : 0.01));

describe('cross-entropy from clipped probabilities', () => {
  it('equals the float64 computation, and the logits form where nothing saturates (|z| <= 5: p >= 4e-5)', () => {
    const arb = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(
      fc.array(fc.array(fc.double({ min: -5, max: 5, noNaN: true }).map(Math.fround), { minLength: 10, maxLength: 10 }), { minLength: n, maxLength: n }),
      fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n }),
    ));
    fc.assert(fc.property(arb, ([logits, labels]) => {
      const targets = labels.map((l) => smoothed(l, 10));
      const clipped = value(logits, targets, 'clipped_probabilities');
      expect(clipped).toBeCloseTo(clippedOracle(logits, targets), 4);
      expect(clipped).toBeCloseTo(value(logits, targets, 'logits'), 3);
    }), { seed: 3, numRuns: 60 });
  });

  it('caps a strongly fooled example at -log(1e-7) = 16.1, where the logits form keeps growing', () => {
    const logits = [[60, 0, 0, 0, 0, 0, 0, 0, 0, 0]];
    const targets = [smoothed(3, 10)];
    const clipped = value(logits, targets, 'clipped_probabilities');
    expect(clipped).toBeCloseTo(clippedOracle(logits, targets), 4);
    expect(clipped).toBeLessThanOrEqual(-Math.log(KERAS_EPSILON) + 1e-4);
    expect(value(logits, targets, 'logits')).toBeGreaterThan(50);
  });

  it('its gradient matches float64 finite differences (clip passes the gradient inside [eps, 1 - eps] only)', () => {
    const arb = fc.tuple(
      fc.array(fc.double({ min: -4, max: 4, noNaN: true }).map(Math.fround), { minLength: 12, maxLength: 12 }),
      fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    );
    const targets = [...smoothed(1, 4), ...smoothed(2, 4), ...smoothed(0, 4)];
    fc.assert(fc.property(arb, ([logits, seed]) =>
      expectGradientsMatch((z) => crossEntropy(z, constant(targets, [3, 4]), 'clipped_probabilities'), [{ values: logits, shape: [3, 4] }], seed)),
    { seed: 5, numRuns: 25 });
  });
});
