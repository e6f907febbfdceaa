/**
 * The wasm backend's sparse path (backends/tfjs/sparse.ts): masked products x @ (W * M) and g @ (W * M)^T on
 * random masks of every density (empty and full rows and columns) equal the dense wasm path bit for bit and the
 * reference within the products' tolerance; whole natural / FGSM / PGD-10 steps at 8.7% and 1.8% of weights
 * equal the dense wasm steps bit for bit; nothing leaks; and a pruned trial with every mask on the sparse
 * products agrees with the reference's. Each test checks that the sparse products ran (sparseCounts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import type { WasmCrossover } from '../../backends/tfjs/sparse.js';
import { loadWasmBackend } from '../../backends/tfjs/wasm.js';
import { PRUNED_ROUNDS, roundMasks } from '../../benchmarks/perf/micro/items.js';
import type { Backend } from '../../core/autodiff/backend.js';
import { fromHost, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import { DENSE_300_100, initialWeights } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { expectProductClose, maskedProductCase, maskSpecArb } from './native/sparse-support.js';
import { expectIdentical } from './support.js';
import { expectTrialsAgree, trainPrunedTrial } from './trials-agree.js';
import { BATCH, finishRun as finish, startRun as start, stepRun as step } from './step-runs.js';

const ALWAYS_SPARSE: WasmCrossover = { minSize: 0, product: 2 };
const reference = createReferenceBackend('float32');
const [sparse, dense] = [await loadWasmBackend({ sparse: ALWAYS_SPARSE }), await loadWasmBackend({ sparse: false })];

function on<T>(backend: Backend, fn: () => T): T {
  setActiveBackend(backend);
  return tidy(fn);
}

describe('wasm backend: sparse products of masked weights', () => {
  it('x @ (W * M) and g @ (W * M)^T: the dense wasm results bit for bit, the reference within tolerance, any density', () => {
    const arb = fc.tuple(maskSpecArb(1, 40), fc.integer({ min: 1, max: 70 }));
    fc.assert(
      fc.property(arb, ([spec, batch]) => {
        const { rows, cols, mask, w, x, g } = maskedProductCase(spec, batch);
        const run = (b: Backend) => on(b, () => {
          const e = op.mul(fromHost(w, [rows, cols]), fromHost(mask, [rows, cols]));
          return { e: e.dataSync(), y: op.matmul(fromHost(x, [batch, rows]), e).dataSync(), dx: op.matmul(fromHost(g, [batch, cols]), e, false, true).dataSync() };
        });
        const before = sparse.sparseCounts().products;
        const got = run(sparse);
        expect(sparse.sparseCounts().products - before, 'sparse products run').toBe(2);
        const same = run(dense);
        expectIdentical(got.y, same.y, 'x @ E against dense wasm');
        expectIdentical(got.dx, same.dx, 'g @ E^T against dense wasm');
        const want = run(reference);
        const E = (p: number, j: number) => want.e[p * cols + j]!;
        expectProductClose(got.y, want.y, batch, cols, rows, (i, p) => x[i * rows + p]!, E, 'x @ E');
        expectProductClose(got.dx, want.dx, batch, rows, cols, (i, p) => g[i * cols + p]!, (p, j) => E(j, p), 'g @ E^T');
      }),
      { seed: 20191205, numRuns: 100 },
    );
    expect(sparse.liveHandles()).toBe(0);
    expect(sparse.sparseCounts().held, 'layouts and gathered values left').toBe(0);
  });

  it('leaves dense what the crossover keeps dense: a mask at or above its density, a small one, a non-0/1 operand', async () => {
    const rng = new Rng(3);
    const crossover: WasmCrossover = { minSize: 100, product: 0.5 };
    for (const [rows, cols, density, values, expected] of [
      [20, 20, 0.3, 'mask', 2], [20, 20, 0.7, 'mask', 0], [5, 10, 0.1, 'mask', 0], [20, 20, 0.3, 'weights', 0],
    ] as const) {
      const mask = Float32Array.from({ length: rows * cols }, () => (rng.next() < density ? 1 : 0));
      const other = values === 'mask' ? mask : rng.uniformArray(rows * cols, 0, 1);
      const backend = await loadWasmBackend({ sparse: crossover });
      on(backend, () => {
        const e = op.mul(fromHost(rng.uniformArray(rows * cols, -1, 1), [rows, cols]), fromHost(other, [rows, cols]));
        op.matmul(fromHost(rng.uniformArray(3 * rows, -1, 1), [3, rows]), e).dataSync();
        op.matmul(fromHost(rng.uniformArray(3 * cols, -1, 1), [3, cols]), e, false, true).dataSync();
      });
      expect(backend.sparseCounts().products, `${rows}x${cols} at ${density} (${values})`).toBe(expected);
      backend.close();
    }
  });
});

describe('wasm backend: pruned training steps on the sparse products', () => {
  for (const round of [PRUNED_ROUNDS[3]!, PRUNED_ROUNDS[5]!]) {
    it(`natural, FGSM and PGD-10 steps with masks of round ${round}: the dense wasm steps bit for bit, nothing leaking`, async () => {
      const backend = await loadWasmBackend();
      const rng = new Rng(round);
      const masks = roundMasks(round, rng);
      const weights = initialWeights(DENSE_300_100, rng);
      const [a, b] = [start(backend, masks, weights), start(dense, masks, weights)];
      let baseline: [number, number, number] | undefined;
      for (const kind of ['pgd', 'natural', 'fgsm', 'pgd'] as const) {
        for (let s = 0; s < 2; s++) {
          const xs = Float32Array.from({ length: BATCH * 784 }, () => (rng.next() < 0.6 ? 0 : rng.next()));
          const labels = Array.from({ length: BATCH }, () => rng.int(10));
          const [got, want] = [step(a, kind, xs, labels), step(b, kind, xs, labels)];
          expect(Object.is(got.loss, want.loss), `${kind} step ${s}: loss ${got.loss} vs ${want.loss}`).toBe(true);
          if (want.adv) expectIdentical(got.adv!, want.adv, `${kind} step ${s}: adversarial examples`);
          setActiveBackend(backend);
          const now: [number, number, number] = [backend.liveHandles(), backend.engineTensors(), backend.sparseCounts().held];
          if (baseline) expect(now, `${kind} step ${s}: live handles, tfjs tensors, sparse path's tensors`).toEqual(baseline);
          baseline = now;
        }
      }
      expect(backend.sparseCounts().products, 'sparse products').toBeGreaterThan(0);
      const [wa, wb] = [finish(a), finish(b)];
      wa.forEach((w, l) => expectIdentical(w, wb[l]!, `layer ${l} weights`));
      expect(backend.liveHandles()).toBe(0);
      expect(backend.sparseCounts().held).toBe(0);
      backend.close();
    });
  }
});

describe('wasm backend: a pruned trial on the sparse products agrees with the reference', () => {
  it('gives the same metrics, weights and masks within tolerance over three rounds', async () => {
    const trained = await trainPrunedTrial(sparse, 'wasm');
    expect(sparse.sparseCounts().products, 'sparse products').toBeGreaterThan(0);
    expectTrialsAgree(trained, await trainPrunedTrial(reference, 'reference'), 3);
  });
});
