import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gemmFunction, gemmKernels, type GemmShape } from '../../backends/tfjs/simd/gemm.js';

/**
 * The SIMD products of backends/tfjs/simd/gemm.ts against their definition: each element of C is the float32
 * sum over k in increasing order from 0, c = fl(c + fl(a * b)), written here as a plain loop with Math.fround.
 * The comparison is bit for bit, over shapes that exercise every tile (4x8, 4x4, single columns, 1-3 leftover
 * rows), blocks of the sum shorter than k, a transposed A, and special values (-0, infinities, NaN).
 */
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } };
const memory = new wasm.Memory({ initial: 64 });
const heap = new Float32Array(memory.buffer);
const GUARD = 16;

function oracle(a: Float32Array, b: Float32Array, s: GemmShape): Float32Array {
  const c = new Float32Array(s.m * s.n);
  for (let i = 0; i < s.m; i++) {
    for (let j = 0; j < s.n; j++) {
      let sum = 0;
      for (let p = 0; p < s.k; p++) sum = Math.fround(sum + Math.fround(a[i * s.rowStride + p * s.depthStride]! * b[p * s.n + j]!));
      c[i * s.n + j] = sum;
    }
  }
  return c;
}

/** Runs the product on copies of a and b in the memory (at odd float offsets, as tfjs' allocator may give). */
function product(a: Float32Array, b: Float32Array, s: GemmShape, depthBlock: number): { c: Float32Array; guardsIntact: boolean } {
  const [aAt, bAt] = [GUARD + 1, GUARD + 1 + a.length + GUARD + 3];
  const cAt = bAt + b.length + GUARD + 1;
  heap.fill(12345, 0, cAt + s.m * s.n + GUARD);
  heap.set(a, aAt);
  heap.set(b, bAt);
  gemmKernels(memory, depthBlock)(s)(aAt * 4, bAt * 4, cAt * 4);
  const guards = [...heap.subarray(cAt - GUARD, cAt), ...heap.subarray(cAt + s.m * s.n, cAt + s.m * s.n + GUARD)];
  return { c: heap.slice(cAt, cAt + s.m * s.n), guardsIntact: guards.every((g) => g === 12345) };
}

const special = fc.constantFrom(0, -0, Infinity, -Infinity, NaN, 1e-45, 3e38);
const element = fc.oneof({ weight: 20, arbitrary: fc.float({ min: -4, max: 4, noNaN: true }) }, { weight: 1, arbitrary: special });

describe('SIMD matrix products (simd/gemm.ts)', () => {
  it('equal the float32 sum in k order, bit for bit, for every tile, depth block and A layout', () => {
    const arbitrary = fc
      .record({
        m: fc.integer({ min: 1, max: 13 }),
        k: fc.integer({ min: 1, max: 40 }),
        n: fc.integer({ min: 1, max: 27 }),
        transposedA: fc.boolean(),
        depthBlock: fc.constantFrom(1, 3, 16, 128),
      })
      .chain((s) => fc.tuple(fc.constant(s), fc.array(element, { minLength: s.m * s.k, maxLength: s.m * s.k }), fc.array(element, { minLength: s.k * s.n, maxLength: s.k * s.n })));
    fc.assert(
      fc.property(arbitrary, ([{ m, k, n, transposedA, depthBlock }, aValues, bValues]) => {
        const shape: GemmShape = { m, k, n, rowStride: transposedA ? 1 : k, depthStride: transposedA ? m : 1 };
        const [a, b] = [Float32Array.from(aValues), Float32Array.from(bValues)];
        const { c, guardsIntact } = product(a, b, shape, depthBlock);
        expect(guardsIntact, 'nothing written outside C').toBe(true);
        const want = oracle(a, b, shape);
        for (let i = 0; i < c.length; i++) expect(Object.is(c[i], want[i]), `element ${i}: ${c[i]} vs ${want[i]}`).toBe(true);
      }),
      { seed: 20191205, numRuns: 300 },
    );
  });

  it('handles the first layer of dense-300-100 at batch 60, forward and as a weight gradient', () => {
    const values = (count: number, seed: number) => Float32Array.from({ length: count }, (_, i) => Math.sin(seed * 7919 + i * 0.37) * 0.9);
    for (const [m, k, n, transposedA] of [[60, 784, 300, false], [784, 60, 300, true]] as const) {
      const shape: GemmShape = { m, k, n, rowStride: transposedA ? 1 : k, depthStride: transposedA ? m : 1 };
      const [a, b] = [values(m * k, 1), values(k * n, 2)];
      const { c, guardsIntact } = product(a, b, shape, 128);
      expect(guardsIntact).toBe(true);
      const want = oracle(a, b, shape);
      let mismatches = 0;
      for (let i = 0; i < c.length; i++) if (!Object.is(c[i], want[i])) mismatches++;
      expect(mismatches, `${m}x${k}x${n}`).toBe(0);
    }
  });

  it('refuses an empty dimension (the adapter computes those with tfjs)', () => {
    for (const [m, k, n] of [[0, 3, 3], [3, 0, 3], [3, 3, 0]]) {
      expect(() => gemmFunction('gemm', { m: m!, k: k!, n: n!, rowStride: k!, depthStride: 1 })).toThrow(RangeError);
    }
  });
});
