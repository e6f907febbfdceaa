/**
 * The native backend's sparse path (backends/native/sparse.ts) against the reference backend: on random masks
 * of every density, with empty and full rows and columns, the masked weights E = W * M, the products x @ E,
 * g @ E^T and the masked weight gradient (h^T g) * M, Adam on the kept positions, and the fused MLP kernels
 * agree with the reference's dense results. Each test also checks that the sparse kernels actually ran
 * (sparseCounts), so that a dense fallback cannot pass it.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createNativeBackend, type NativeBackend } from '../../../backends/native/index.js';
import { BINARY_CODES, EPILOGUES, loadAddon } from '../../../backends/native/addon.js';
import { blockedLists, maskLayout } from '../../../backends/native/layout.js';
import type { Backend } from '../../../core/autodiff/backend.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { disposeAll, fromHost, keep, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import { valueAndGrad } from '../../../core/autodiff/grad.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { inputGradient } from '../../../core/attacks/attack.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { logits } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainingLoss } from '../../../core/nn/train-step.js';
import { ALWAYS_SPARSE, expectProductClose, makeMask, maskedProductCase, maskSpecArb } from './sparse-support.js';
import { expectClose, expectIdentical, FC, native, reference, suiteTitle } from './support.js';
import { mlpClassifier } from '../../support/classifier.js';

const sparse = (): NativeBackend => createNativeBackend({ sparse: ALWAYS_SPARSE });

function on<T>(backend: Backend, fn: () => T): T {
  setActiveBackend(backend);
  return tidy(fn);
}

describe.skipIf(!native.backend)(suiteTitle('sparse kernels agree with the reference on random masks'), () => {
  for (const [what, minDim, maxDim, maxBatch, runs] of [
    ['up to 40 x 40', 1, 40, 70, 60],
    ['over 128 rows or columns (position lists in several blocks), batches over 64 lanes', 100, 300, 140, 12],
  ] as const) {
    it(`W * M, x @ (W * M), g @ (W * M)^T and (h^T g) * M, any density, empty and full rows and columns: ${what}`, () => {
      const backend = sparse();
      const arb = fc.tuple(maskSpecArb(minDim, maxDim), fc.integer({ min: 1, max: maxBatch }));
      fc.assert(
        fc.property(arb, ([spec, batch]) => {
          const { rows, cols, mask, w, x, g } = maskedProductCase(spec, batch);
          const run = (b: Backend) => on(b, () => {
            const m = fromHost(mask, [rows, cols]);
            const e = op.mul(fromHost(w, [rows, cols]), m);
            const xt = fromHost(x, [batch, rows]);
            const gt = fromHost(g, [batch, cols]);
            const y = op.matmul(xt, e).dataSync();
            const dx = op.matmul(gt, e, false, true).dataSync();
            const dE = op.mul(op.matmul(xt, gt, true, false), m).dataSync();
            return { y, dx, dE, e: e.dataSync() };
          });
          const before = backend.sparseCounts();
          const got = run(backend);
          const after = backend.sparseCounts();
          const want = run(reference);
          expect(after.products - before.products, 'sparse products run').toBe(2);
          expect(after.sampled - before.sampled, 'sampled weight gradients run').toBe(1);
          expectClose(got.e, want.e, 0, 0, 'W * M');
          const E = (p: number, j: number) => want.e[p * cols + j]!;
          expectProductClose(got.y, want.y, batch, cols, rows, (i, p) => x[i * rows + p]!, E, 'x @ E');
          expectProductClose(got.dx, want.dx, batch, rows, cols, (i, p) => g[i * cols + p]!, (p, j) => E(j, p), 'g @ E^T');
          expectProductClose(got.dE, want.dE, rows, cols, batch, (r, i) => x[i * rows + r]!, (i, c) => g[i * cols + c]!, '(h^T g) * M');
        }),
        { ...FC, numRuns: runs },
      );
      expect(backend.liveHandles()).toBe(0);
      expect(backend.sparseCounts().held, 'internal buffers left').toBe(0);
    });
  }

  it('Adam on the kept positions equals the dense composition over several steps (weights and pruned positions)', () => {
    const backend = sparse();
    fc.assert(
      fc.property(maskSpecArb(), (spec) => {
        const { rows, cols } = spec;
        const mask = makeMask(spec);
        const rng = new Rng(spec.seed + 2);
        const w0 = rng.uniformArray(rows * cols, -1, 1);
        const grads = [0, 1, 2].map(() => rng.uniformArray(rows * cols, -1, 1));
        const run = (b: Backend) => {
          setActiveBackend(b);
          const adam = new Adam();
          const m = keep(fromHost(mask, [rows, cols]));
          let w = [keep(fromHost(w0, [rows, cols]))];
          for (const g of grads) {
            const masked = tidy(() => op.mul(fromHost(g, [rows, cols]), m));
            const next = adam.apply(w, [masked]);
            disposeAll([w, masked]);
            w = next;
          }
          const values = w[0]!.dataSync();
          disposeAll([w, m]);
          adam.reset();
          return values;
        };
        const before = backend.sparseCounts().adam;
        const got = run(backend);
        expect(backend.sparseCounts().adam - before, 'sparse Adam steps').toBe(3);
        expectClose(got, run(reference), 1e-6, 1e-7, 'weights after 3 Adam steps');
      }),
      { ...FC, numRuns: 40 },
    );
    expect(backend.liveHandles()).toBe(0);
    expect(backend.sparseCounts().held, 'internal buffers left').toBe(0);
  });
});

describe.skipIf(!native.backend)(suiteTitle('position lists of the sparse products'), () => {
  it('are split into cache blocks only when dense enough for it to pay, with the same products either way', () => {
    const addon = loadAddon();
    for (const [density, blocked] of [[0.018, false], [0.3, true]] as const) {
      const rng = new Rng(41);
      const [rows, cols, lanes] = [784, 300, 64];
      const mask = Float32Array.from({ length: rows * cols }, () => (rng.next() < density ? 1 : 0));
      const layout = maskLayout(mask, rows, cols);
      const vals = rng.uniformArray(layout.nnz, -1, 1);
      const src = rng.uniformArray(rows * lanes, -1, 1);
      const lists = blockedLists(layout, 'csc');
      expect(lists.blocks > 1, `density ${density}`).toBe(blocked);
      const viaLists = new Float32Array(cols * lanes);
      addon.sparseLanes(src, lanes, rows, vals, lists.ptr, lists.idx, lists.at, lists.groups, lists.blocks, viaLists);
      const oneBlock = new Float32Array(cols * lanes);
      addon.sparseLanes(src, lanes, rows, vals, layout.colPtr, layout.rowIdx, layout.cscToCsr, cols, 1, oneBlock);
      expect(viaLists).toEqual(oneBlock);
    }
  });
});

describe.skipIf(!native.backend)(suiteTitle('the addon checks what it is given'), () => {
  it('throws a RangeError instead of reading out of bounds for a bad layout, epilogue or buffer', () => {
    const addon = loadAddon();
    const layout = maskLayout(Float32Array.of(1, 0, 0, 1, 1, 0), 2, 3);
    const lists = blockedLists(layout, 'csc');
    const vals = Float32Array.of(1, 2, 3);
    const src = new Float32Array(2 * 64);
    const out = new Float32Array(3 * 64);
    const lanes = (over: Partial<{ ptr: Int32Array; idx: Int32Array; at: Int32Array; blocks: number; epilogue: number; gate: Float32Array; lanes: number }>) => () =>
      addon.sparseLanes(src, over.lanes ?? 64, 2, vals, over.ptr ?? lists.ptr, over.idx ?? lists.idx, over.at ?? lists.at, lists.groups, over.blocks ?? lists.blocks, out, over.epilogue, over.gate);
    expect(lanes({})).not.toThrow();
    expect(lanes({ idx: Int32Array.from(lists.idx, (v) => v + 5) })).toThrow(/index out of range/);
    expect(lanes({ at: Int32Array.from(lists.at, () => 3) })).toThrow(/index out of range/);
    expect(lanes({ ptr: Int32Array.from(lists.ptr, (v, i) => (i === 0 ? 1 : v)) })).toThrow(/pointers/);
    expect(lanes({ blocks: 0 })).toThrow(/at least one block/);
    expect(lanes({ epilogue: 7 })).toThrow(/unknown epilogue/);
    expect(lanes({ epilogue: EPILOGUES.reluGrad, gate: new Float32Array(5) })).toThrow(/too short/);
    expect(lanes({ lanes: 60 })).toThrow(/multiple of 64/);
    const rowMajor = (idx: Int32Array) => () =>
      addon.sparseProduct(new Float32Array(4 * 2), 4, 2, vals, lists.ptr, idx, lists.at, lists.groups, lists.blocks, new Float32Array(4 * 3));
    expect(rowMajor(lists.idx)).not.toThrow();
    expect(rowMajor(Int32Array.from(lists.idx, () => -1))).toThrow(/index out of range/);
  });
});

describe.skipIf(!native.backend)(suiteTitle('epilogues of the sparse products in lanes'), () => {
  it('relu and the relu gradient fused into the product equal the product followed by their kernels, bit for bit', () => {
    const addon = loadAddon();
    fc.assert(
      fc.property(maskSpecArb(1, 300), fc.constantFrom('csc', 'csr') as fc.Arbitrary<'csc' | 'csr'>, fc.integer({ min: 0, max: 2 ** 30 }), (spec, order, seed) => {
        const rng = new Rng(seed);
        const lanes = 64 * (1 + rng.int(2));
        const layout = maskLayout(makeMask(spec), spec.rows, spec.cols);
        const lists = blockedLists(layout, order);
        const [inner, groups] = order === 'csc' ? [spec.rows, spec.cols] : [spec.cols, spec.rows];
        const vals = rng.uniformArray(layout.nnz, -1, 1);
        const src = rng.uniformArray(inner * lanes, -1, 1);
        // Gates of every kind: positive, negative, zeros of both signs, NaN.
        const gate = Float32Array.from({ length: groups * lanes }, () => [1, -1, 0, -0, Number.NaN, rng.next() - 0.5][rng.int(6)]!);
        const product = (epilogue?: number, g?: Float32Array) => {
          const out = new Float32Array(groups * lanes).fill(Number.NaN);
          addon.sparseLanes(src, lanes, inner, vals, lists.ptr, lists.idx, lists.at, lists.groups, lists.blocks, out, epilogue, g);
          return out;
        };
        const plain = product();
        const relu = new Float32Array(plain.length);
        addon.binary(BINARY_CODES.maximum, plain, Float32Array.of(0), relu, 1, 0);
        expectIdentical(product(EPILOGUES.relu), relu, 'relu epilogue');
        const gated = new Float32Array(plain.length);
        addon.reluGrad(plain, gate, gated);
        expectIdentical(product(EPILOGUES.reluGrad, gate), gated, 'relu-gradient epilogue');
      }),
      { ...FC, numRuns: 40 },
    );
  });
});

/** dense-300-100-like layer sizes, scaled down, with masks of the given density. */
const LAYERS: [number, number][] = [[64, 40], [40, 24], [24, 10]];

function mlpProblem(seed: number, density: number) {
  const rng = new Rng(seed);
  const masks = LAYERS.map(([k, n]) => Float32Array.from({ length: k * n }, () => (rng.next() < density ? 1 : 0)));
  const weights = LAYERS.map(([k, n]) => rng.uniformArray(k * n, -0.5, 0.5));
  const batch = 12;
  const x = rng.uniformArray(batch * LAYERS[0]![0], 0, 1);
  const xAdv = rng.uniformArray(batch * LAYERS[0]![0], 0, 1);
  const labels = Array.from({ length: batch }, () => rng.int(10));
  return { masks, weights, batch, x, xAdv, labels };
}

/**
 * The fused MLP kernels' results against the reference's autodiff of their compositions. They differ by the
 * float32 accumulation order of the products: logits and gradients within 1e-5 of their largest magnitude, the
 * loss within 1e-5 relative (LOSS_TOL of the step tests).
 */
describe.skipIf(!native.backend)(suiteTitle('fused MLP kernels agree with the autodiff of their compositions'), () => {
  for (const [label, make] of [['dense', () => createNativeBackend({ sparse: false })], ['sparse', sparse]] as const) {
    for (const density of [1, 0.3, 0.05]) {
      it(`${label} products, masks at ${density * 100}%: logits, input gradient and training gradients (natural, adversarial)`, () => {
        const backend = make();
        const p = mlpProblem(Math.round(density * 100), density);
        const { batch } = p;
        const run = (b: Backend) => on(b, () => {
          const effective = p.weights.map((w, i) => op.mul(fromHost(w, LAYERS[i]!), fromHost(p.masks[i]!, LAYERS[i]!)));
          const x = fromHost(p.x, [batch, LAYERS[0]![0]]);
          const xAdv = fromHost(p.xAdv, [batch, LAYERS[0]![0]]);
          const onehot = fromHost(smoothedTargets(p.labels, 10, 0), [batch, 10]);
          const smooth = fromHost(smoothedTargets(p.labels, 10, 0.1), [batch, 10]);
          const dx = inputGradient(mlpClassifier(effective), x, onehot).dataSync();
          const out = logits(mlpClassifier(effective), x).dataSync();
          const training = [undefined, xAdv].map((adv) => {
            if (b === reference) {
              const ones = LAYERS.map(([k, n]) => op.ones([k, n]));
              const { value, grads } = valueAndGrad((...e: Tensor[]) => trainingLoss(mlpClassifier(effective).spec, e, ones, x, smooth, 0, adv))(...effective);
              return [value.dataSync(), ...grads.map((g) => g.dataSync())];
            }
            const info = (t: Tensor) => ({ handle: t.handle, shape: t.shape, dtype: t.dtype });
            const kernel = (b.custom as LibraryKernels<unknown>).mlpTrainingGradients!;
            const outs = kernel({ batches: (adv ? [x, adv] : [x]).map(info), targets: info(smooth), weights: effective.map(info) }, { l1: 0, loss: 'logits' })!;
            const values = outs.map((h, i) => b.read({ handle: h, shape: i === 0 ? [] : LAYERS[i - 1]!, dtype: 'float32' }));
            outs.forEach((h) => b.dispose(h));
            return values;
          });
          return { dx, out, training };
        });
        const forwardKernel = vi.spyOn(backend.custom as Record<string, (...args: never[]) => unknown>, 'mlpForward');
        const got = run(backend);
        expect(forwardKernel, 'the mlpForward kernel ran').toHaveBeenCalledOnce();
        const want = run(reference);
        const scaled = (a: ArrayLike<number>, e: ArrayLike<number>, what: string) => {
          const top = Math.max(...Array.from(e, Math.abs));
          expectClose(Float32Array.from(a), Float32Array.from(e), 0, 1e-5 * top + 1e-12, what);
        };
        scaled(got.dx, want.dx, 'input gradient');
        scaled(got.out, want.out, 'logits');
        got.training.forEach((outs, adv) => {
          expectClose(outs[0]!, want.training[adv]![0]!, 1e-5, 1e-6, `loss (adversarial ${adv === 1})`);
          outs.slice(1).forEach((g, l) => scaled(g, want.training[adv]![l + 1]!, `dE layer ${l} (adversarial ${adv === 1})`));
        });
        const counts = backend.sparseCounts();
        if (label === 'sparse') expect(counts.products, 'sparse products run').toBeGreaterThan(0);
        else expect(counts.products).toBe(0);
        expect(backend.liveHandles()).toBe(0);
        expect(backend.sparseCounts().held, 'internal buffers left').toBe(0);
      });
    }
  }
});
