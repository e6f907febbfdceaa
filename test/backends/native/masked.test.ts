/**
 * Adam and the mask in one pass (backends/native/masked.ts), for masks the sparse path leaves dense: training
 * steps with the fused kernel against the same backend running Adam's composition (so that mul(dE, M) and
 * mul(W', M) are computed as separate products), bit for bit; and the deferred products on their own: read,
 * used by another kernel, or outliving an operand disposed first.
 */
import { describe, expect, it } from 'vitest';
import { disposeAll, fromHost, keep, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Backend } from '../../../core/autodiff/backend.js';
import { createNativeBackend } from '../../../backends/native/index.js';
import { DENSE_300_100, initialWeights } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';
import { finishRun, startRun, stepRun, type StepKind } from '../step-runs.js';
import { expectIdentical, native, suiteTitle } from './support.js';

/** The backend without its Adam kernel: the core runs Adam's composition on its primitives. */
const withoutAdam = (backend: Backend): Backend => {
  const { adam: _adam, ...custom } = (backend.custom ?? {}) as Record<string, unknown>;
  return { ...backend, custom: custom as Backend['custom'] };
};

/** Weights after `kinds` steps from the same start, masks of the given density (dense: above the sparse crossover). */
function train(backend: Backend, kinds: readonly StepKind[], density: number): Float32Array[] {
  const rng = new Rng(17);
  const masks = DENSE_300_100.parameters.map((p) => Float32Array.from({ length: p.shape[0]! * p.shape[1]! }, () => (density === 1 || rng.next() < density ? 1 : 0)));
  const run = startRun(backend, masks, initialWeights(DENSE_300_100, rng));
  for (const kind of kinds) {
    const xs = Float32Array.from({ length: 60 * 784 }, () => (rng.next() < 0.5 ? 0 : rng.next()));
    stepRun(run, kind, xs, Array.from({ length: 60 }, () => rng.int(10)));
  }
  return finishRun(run);
}

describe.skipIf(!native.backend)(suiteTitle('Adam and the mask in one pass'), () => {
  for (const density of [1, 0.8]) {
    it(`training steps (natural, FGSM, PGD-10) equal Adam's composition bit for bit, ${density * 100}% of weights`, () => {
      const kinds: StepKind[] = ['natural', 'natural', 'fgsm', 'pgd', 'natural'];
      const fused = createNativeBackend();
      const got = train(fused, kinds, density);
      const counts = fused.maskCounts();
      expect(counts.adam, 'fused Adam steps').toBe(kinds.length * 3);
      expect(counts.served, 'mul(W\', M) served by the fused Adam').toBe((kinds.length - 1) * 3);
      expect(fused.liveHandles(), 'handles after the run').toBe(0);
      expect(fused.sparseCounts().held, 'buffers held after the run').toBe(0);
      const plain = createNativeBackend();
      const want = train(withoutAdam(plain), kinds, density);
      expect(plain.maskCounts().adam, 'the composition ran').toBe(0);
      got.forEach((w, l) => expectIdentical(w, want[l]!, `layer ${l + 1} weights`));
      fused.close?.();
      plain.close?.();
    });
  }

  it('a deferred product reads as the product, after its operand was disposed and its size reused', () => {
    const backend = createNativeBackend();
    setActiveBackend(backend);
    const rng = new Rng(3);
    const [rows, cols] = [40, 50];
    const xs = rng.uniformArray(rows * cols, -2, 2);
    const mask = Float32Array.from({ length: rows * cols }, () => (rng.next() < 0.7 ? 1 : 0));
    const want = Float32Array.from(xs, (v, i) => v * mask[i]!);
    const m = keep(fromHost(mask, [rows, cols]));
    const x = fromHost(xs, [rows, cols]);
    const product = keep(op.mul(x, m));
    x.dispose();
    // A new upload of the same size would take x's buffer had it gone back to the pool.
    const other = keep(fromHost(rng.uniformArray(rows * cols, 5, 6), [rows, cols]));
    expectIdentical(tidy(() => op.mul(product, 1).dataSync()) as Float32Array, want, 'used by another kernel');
    expectIdentical(product.dataSync() as Float32Array, want, 'read');
    expect(backend.maskCounts().materialized).toBe(1);
    disposeAll([product, other, m]);
    expect(backend.liveHandles()).toBe(0);
    expect(backend.sparseCounts().held).toBe(0);
    backend.close?.();
  });
});
