import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { useBackend } from '../support/backend.js';
import { createTfjsBackend, type TfjsBackend } from '../../backends/tfjs/adapter.js';
import { wasmHeap, type WasmHeap } from '../../backends/tfjs/heap.js';
import { loadWasmBackend, wasmFeatures } from '../../backends/tfjs/wasm.js';
import { fromHost, keep, tidy } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { BackendError } from '../../core/errors.js';
import { Rng } from '../../core/nn/rng.js';
import { compare, expectIdentical, on, oracle, TOL, type Tolerance } from './support.js';

/**
 * The tfjs adapter's own machinery, on tfjs-wasm (this file's process holds no other tfjs backend): which tfjs
 * kernels it calls (the speed traps it must avoid), its caches, and close(). Results are checked against the
 * reference backend wherever a plan changes how a value is computed. Matrix products are tested on both of
 * the adapter's paths: SIMD products in tfjs-wasm's heap (`heaped`, as `wasm` runs them, with each product
 * recorded as a 'gemm' call), and tfjs' BatchMatMul kernel (`plain`, an adapter without the heap, as on
 * tfnode and cuda).
 */
let wasm: TfjsBackend;
let heaped: TfjsBackend;
let plain: TfjsBackend;
const reference = oracle();
const calls: { name: string; shapes: number[][]; attrs: Record<string, unknown> }[] = [];

/** The heap, with every product it computes recorded in `calls`. */
function recordingHeap(heap: WasmHeap): WasmHeap {
  return {
    ...heap,
    gemm: (shape) => {
      const gemm = heap.gemm(shape);
      return (a, b, c) => {
        calls.push({ name: 'gemm', shapes: [[shape.m, shape.k, shape.n]], attrs: { rowStride: shape.rowStride, depthStride: shape.depthStride } });
        gemm(a, b, c);
      };
    },
  };
}

beforeAll(async () => {
  wasm = (await useBackend('wasm')) as TfjsBackend;
  heaped = createTfjsBackend(wasm.tf, { name: 'wasm', tfBackend: 'wasm', copiesHostData: true, heap: recordingHeap(wasmHeap(wasm.tf)!) });
  plain = createTfjsBackend(wasm.tf, { name: 'wasm', tfBackend: 'wasm', copiesHostData: true });
  const engine = wasm.tf.engine();
  const run = engine.runKernel.bind(engine);
  engine.runKernel = ((name: string, inputs: Record<string, { shape: number[] }>, attrs: Record<string, unknown>) => {
    calls.push({ name, shapes: Object.values(inputs).map((t) => t.shape), attrs: attrs ?? {} });
    return run(name, inputs as never, attrs as never);
  }) as typeof engine.runKernel;
});
afterEach(() => void calls.splice(0));

const rng = new Rng(5);
const host = (shape: [number, number]) => rng.uniformArray(shape[0] * shape[1], -1, 1);
const kernelsCalled = () => calls.map((c) => c.name);

/**
 * Tolerance for the [60,784]x[784,300] products: float32 accumulation of k = 784 terms of magnitude <= 1
 * (sum |a||b| ~ 200) differs between summation orders by about sqrt(k) * 6e-8 * 200 ~ 3e-4 at worst
 * (observed ~1e-5); the small cases keep the conformance suite's tolerance.
 */
const LONG_SUMS = { rtol: 1e-4, atol: 3e-4 };

function agree(backend: Backend, f: (...xs: Tensor[]) => Tensor, inputs: { values: Float32Array; shape: number[] }[], uses = 1, tol: Tolerance = TOL.reduction): void {
  const results = (backend: Backend) => on(backend, () => {
    const xs = inputs.map((i) => keep(fromHost(i.values, i.shape)));
    const out = Array.from({ length: uses }, () => tidy(() => f(...xs).dataSync()));
    xs.forEach((x) => x.dispose());
    return out;
  });
  const want = results(reference);
  results(backend).forEach((got, k) => {
    const { ratio, detail } = compare(got, want[k]!, tol);
    expect(ratio, `use ${k + 1}: ${detail}`).toBeLessThanOrEqual(1);
  });
}

describe('tfjs-wasm', () => {
  it('runs tfjs on its wasm backend with the SIMD binary', () => {
    expect(wasm.tf.getBackend()).toBe('wasm');
    expect(wasmFeatures(wasm.tf).simd).toBe(true);
  });
});

const matmulShapes: [[number, number], [number, number]][] = [[[60, 784], [784, 300]], [[60, 300], [300, 100]], [[8, 5], [5, 3]], [[7, 9], [9, 11]]];
const transposeFlags = [[false, false], [true, false], [false, true], [true, true]] as const;

/** Products of every shape in matmulShapes with the given transpose flags, each used three times, checked against the reference. */
function agreeOnProducts(backend: Backend, tA: boolean, tB: boolean): void {
  for (const [sa, sb] of matmulShapes) {
    const a = { values: host(sa), shape: tA ? [sa[1], sa[0]] : sa };
    const b = { values: host(sb), shape: tB ? [sb[1], sb[0]] : sb };
    agree(backend, (x, y) => op.matmul(x!, y!, tA, tB), [a, b], 3, sa[1] > 100 ? LONG_SUMS : TOL.reduction);
  }
}

describe('matmul in the heap (SIMD products, the wasm backend)', () => {
  for (const [tA, tB] of transposeFlags) {
    it(`runs no tfjs BatchMatMul, reads a transposed A in place, and agrees with the reference (tA=${tA}, tB=${tB})`, () => {
      agreeOnProducts(heaped, tA, tB);
      expect(kernelsCalled()).not.toContain('BatchMatMul');
      const products = calls.filter((c) => c.name === 'gemm');
      // A product repeated with the same operands comes from the product cache: one gemm per shape.
      expect(products).toHaveLength(matmulShapes.length);
      expect(products.every((c) => (c.attrs.depthStride === 1) === !tA)).toBe(true);
      // Only a transposed B is made explicit: one Transpose per shape.
      expect(calls.filter((c) => c.name === 'Transpose')).toHaveLength(tB ? matmulShapes.length : 0);
    });
  }

  it('computes products with an empty dimension through tfjs: zeros, or an empty result', () => {
    emptyProducts(heaped);
    expect(calls.filter((c) => c.name === 'gemm')).toHaveLength(0);
  });

  it('transposes a reused weight once, and frees the transpose with the weight', () => transposesOnce(heaped));

  it('runs batched products (a trial axis) as one SIMD product per output matrix, without tfjs BatchMatMul', () => {
    const input = (shape: number[]) => ({ values: rng.uniformArray(shape.reduce((x, y) => x * y, 1), -1, 1), shape });
    for (const [sa, sb, tA, tB] of [[[3, 5, 7], [3, 7, 4], false, false], [[5, 7], [3, 7, 4], false, false], [[2, 1, 5, 7], [3, 7, 4], false, false], [[3, 7, 5], [4, 7], true, true]] as [number[], number[], boolean, boolean][]) {
      agree(heaped, (x, y) => op.matmul(x!, y!, tA, tB), [input(sa), input(sb)]);
    }
    expect(kernelsCalled()).not.toContain('BatchMatMul');
  });
});

describe('matmul through tfjs kernels (no heap: tfnode and cuda)', () => {
  for (const [tA, tB] of transposeFlags) {
    it(`never passes transpose flags to tfjs, and agrees with the reference on first and repeated use (tA=${tA}, tB=${tB})`, () => {
      agreeOnProducts(plain, tA, tB);
      const matmuls = calls.filter((c) => c.name === 'BatchMatMul');
      expect(matmuls.length).toBeGreaterThan(0);
      expect(matmuls.every((c) => c.attrs.transposeA === false && c.attrs.transposeB === false)).toBe(true);
    });
  }

  it('packs the cheaper operand: fresh weights are multiplied transposed twice, then packed when reused', () => {
    // x + 0 is a new left operand at each use (a repeated product would come from the product cache).
    agree(plain, (x, w) => op.matmul(op.add(x!, 0), w!), [{ values: host([60, 784]), shape: [60, 784] }, { values: host([784, 300]), shape: [784, 300] }], 3, LONG_SUMS);
    const shapes = calls.filter((c) => c.name === 'BatchMatMul').map((c) => c.shapes);
    expect(shapes).toEqual([[[300, 784], [784, 60]], [[300, 784], [784, 60]], [[60, 784], [784, 300]]]);
  });

  it('computes products with an empty dimension: zeros, or an empty result', () => emptyProducts(plain));

  it('runs batched products (a trial axis) as BatchMatMul with broadcast batch axes, transposes explicit', () => {
    const input = (shape: number[]) => ({ values: rng.uniformArray(shape.reduce((x, y) => x * y, 1), -1, 1), shape });
    for (const [sa, sb, tA, tB] of [[[3, 5, 7], [3, 7, 4], false, false], [[5, 7], [3, 7, 4], false, false], [[3, 7, 5], [4, 7], true, true]] as [number[], number[], boolean, boolean][]) {
      agree(plain, (x, y) => op.matmul(x!, y!, tA, tB), [input(sa), input(sb)]);
    }
    const matmuls = calls.filter((c) => c.name === 'BatchMatMul');
    expect(matmuls.length).toBeGreaterThan(0);
    expect(matmuls.every((c) => c.attrs.transposeA === false && c.attrs.transposeB === false)).toBe(true);
  });

  it('transposes a reused weight once, and frees the transpose with the weight', () => transposesOnce(plain));
});

/** [3,0]x[0,4] is zeros (tfjs-wasm's BatchMatMul leaves it uninitialised); [0,2]x[2,4] is empty. */
function emptyProducts(backend: TfjsBackend): void {
  const results = on(backend, () => [
    tidy(() => op.matmul(fromHost(new Float32Array(0), [3, 0]), fromHost(new Float32Array(0), [0, 4])).dataSync()),
    tidy(() => op.matmul(fromHost(new Float32Array(0), [0, 3]), fromHost(new Float32Array(0), [4, 0]), true, true).dataSync()),
    tidy(() => op.matmul(fromHost(new Float32Array(0), [0, 2]), fromHost(host([2, 4]), [2, 4])).dataSync()),
  ]);
  expect([...results[0]!]).toEqual(new Array(12).fill(0));
  expect([...results[1]!]).toEqual(new Array(12).fill(0));
  expect(results[2]).toHaveLength(0);
}

function transposesOnce(backend: TfjsBackend): void {
  const before = backend.engineTensors();
  on(backend, () => {
    const w = keep(fromHost(host([300, 100]), [300, 100]));
    const g = keep(fromHost(host([60, 100]), [60, 100]));
    for (let i = 0; i < 4; i++) tidy(() => void op.matmul(op.add(g, 0), w, false, true));
    const ofW = calls.filter((c) => c.name === 'Transpose' && c.shapes[0]!.join() === '300,100');
    expect(ofW).toHaveLength(1);
    w.dispose();
    g.dispose();
  });
  expect(backend.engineTensors()).toBe(before);
}

/** Products computed (not taken from the product cache) on either path. */
const productsComputed = () => calls.filter((c) => c.name === 'BatchMatMul' || c.name === 'gemm');

describe('product cache', () => {
  for (const [path, backend] of [['heap', () => heaped], ['tfjs kernels', () => plain]] as const) {
    it(`computes a repeated product once, shares it, and frees it with either operand (${path})`, () => {
      const before = backend().engineTensors();
      const [values, x2] = on(backend(), () => {
        const x = keep(fromHost(host([6, 5]), [6, 5]));
        const w = keep(fromHost(host([5, 4]), [5, 4]));
        const first = tidy(() => op.matmul(x, w).dataSync());
        const again = tidy(() => op.matmul(x, w).dataSync());
        const otherLeft = tidy(() => op.matmul(op.add(x, 0), w).dataSync());
        const transposed = tidy(() => op.matmul(w, x, true, true).dataSync());
        w.dispose();
        x.dispose();
        return [[first, again, otherLeft], transposed];
      });
      expect(productsComputed()).toHaveLength(3);
      expectIdentical(values[1]!, values[0]!, 'repeated product');
      expectIdentical(values[2]!, values[0]!, 'same product of another left operand');
      expect(x2).toHaveLength(24);
      expect(backend().engineTensors()).toBe(before);
    });

    it(`keeps only the most recent products (${path})`, () => {
      const before = backend().engineTensors();
      on(backend(), () => {
        const w = keep(fromHost(host([5, 4]), [5, 4]));
        const xs = Array.from({ length: 10 }, () => keep(fromHost(host([3, 5]), [3, 5])));
        for (const x of xs) tidy(() => void op.matmul(x, w));
        expect(backend().engineTensors() - before - xs.length - 1).toBeLessThanOrEqual(4);
        tidy(() => void op.matmul(xs[0]!, w));
        expect(productsComputed()).toHaveLength(11);
        xs.forEach((x) => x.dispose());
        w.dispose();
      });
      expect(backend().engineTensors()).toBe(before);
    });
  }
});

describe('kernels that avoid slow tfjs-wasm paths', () => {
  const x = { values: Float32Array.from([-1, 0, 2, -0, 1e-45, 3, -2, 0.5]), shape: [2, 4] };
  it('relu is a clip, comparisons are steps, sign is steps, broadcasts are fills or products', () => {
    agree(wasm, (t) => op.relu(t!), [x]);
    agree(wasm, (t) => op.greater(t!, 0.5), [x]);
    agree(wasm, (t) => op.sign(t!), [x]);
    agree(wasm, (t) => op.broadcastTo(op.reshape(t!, [2, 4, 1]), [2, 4, 3]), [x]);
    agree(wasm, (t) => op.where(op.greater(t!, 0), t!, 0.25), [x]);
    expect(kernelsCalled().filter((k) => ['Maximum', 'Greater', 'Sign', 'Tile', 'NotEqual'].includes(k))).toEqual([]);
  });
});

describe('scalar uploads', () => {
  it('share one tfjs tensor per value', () => {
    const before = wasm.tf.memory().numTensors;
    const handles = Array.from({ length: 5 }, () => wasm.upload(Float32Array.of(0.123), [], 'float32'));
    expect(new Set(handles).size).toBe(1);
    expect(wasm.tf.memory().numTensors).toBeLessThanOrEqual(before + 1);
    handles.forEach((h) => wasm.dispose(h));
  });

  it('stay valid when evicted from the cache while still in use, and are freed once evicted and unused', () => {
    const before = wasm.engineTensors();
    const held = wasm.upload(Float32Array.of(-7.5), [], 'float32');
    for (let i = 0; i < 200; i++) wasm.dispose(wasm.upload(Float32Array.of(1000 + i), [], 'float32'));
    expect(Array.from(wasm.read({ handle: held, shape: [], dtype: 'float32' }))).toEqual([-7.5]);
    wasm.dispose(held);
    expect(wasm.engineTensors()).toBe(before);
    expect(wasm.tf.memory().numTensors).toBeLessThanOrEqual(before + 64 + 8);
  });
});

describe('close', () => {
  it('frees the adapter caches, refuses further work, and releases tfjs for another adapter', async () => {
    const second = await loadWasmBackend();
    on(second, () => {
      const w = keep(fromHost(host([20, 10]), [20, 10]));
      tidy(() => void op.matmul(op.mul(op.tensor(host([4, 10]), [4, 10]), 2), w, false, true));
      w.dispose();
    });
    const before = wasm.tf.memory().numTensors;
    second.close();
    expect(wasm.tf.memory().numTensors).toBeLessThan(before);
    expect(() => second.upload(Float32Array.of(1), [1], 'float32')).toThrow(BackendError);
    agree(wasm, (t) => op.exp(t!), [{ values: host([2, 3]), shape: [2, 3] }]); // the first adapter still works
  });
});
