import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sparseKernels } from '../../backends/tfjs/simd/sparse.js';
import { makeMask, maskSpecArb } from './native/sparse-support.js';
import { Rng } from '../../core/nn/rng.js';

/**
 * The sparse products on the lane layout (backends/tfjs/simd/sparse.ts) against their definitions, on one
 * WebAssembly memory: the transposes into and out of the lane layout exactly; x @ E and g @ E^T over the kept
 * positions of random masks of every density (empty and full rows and columns) equal, bit for bit, the
 * float32 sum in increasing index order from +0 over all positions of E = W * M (what simd/gemm.ts computes);
 * the gather exactly; the sampled weight gradient within float32 summation error.
 */
const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } };
const memory = new wasm.Memory({ initial: 64 });
const FC = { seed: 20191205, numRuns: 150 } as const;

/** Places arrays in the memory (16-byte aligned, with a gap between) and returns byte offsets. */
class Placer {
  private next = 256;
  put(values: ArrayLike<number>, kind: 'f32' | 'i32' = 'f32'): number {
    const at = this.next;
    this.next += Math.ceil((Math.max(values.length, 1) * 4) / 16) * 16 + 64;
    (kind === 'f32' ? new Float32Array(memory.buffer, at, values.length) : new Int32Array(memory.buffer, at, values.length)).set(values);
    return at;
  }
  space(length: number): number {
    return this.put(new Float32Array(length).fill(12345));
  }
}
const read = (at: number, length: number) => new Float32Array(memory.buffer, at, length).slice();

/** Kept positions of a rows x cols mask by column (rows listed) and by row (columns listed). */
function lists(mask: Float32Array, rows: number, cols: number) {
  const csc = { ptr: [0], idx: [] as number[], at: [] as number[] };
  for (let j = 0; j < cols; j++) {
    for (let p = 0; p < rows; p++) if (mask[p * cols + j] === 1) (csc.idx.push(p), csc.at.push(p * cols + j));
    csc.ptr.push(csc.idx.length);
  }
  const csr = { ptr: [0], idx: [] as number[], at: [] as number[], rowOf: [] as number[] };
  for (let p = 0; p < rows; p++) {
    for (let j = 0; j < cols; j++) if (mask[p * cols + j] === 1) (csr.idx.push(j), csr.at.push(p * cols + j), csr.rowOf.push(p));
    csr.ptr.push(csr.idx.length);
  }
  return { csc, csr };
}

/** C[i, j] = sum over p in increasing order, from +0, of fl(A(i, p) B(p, j)). */
function oracle(m: number, k: number, n: number, a: (i: number, p: number) => number, b: (p: number, j: number) => number): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum = Math.fround(sum + Math.fround(a(i, p) * b(p, j)));
      c[i * n + j] = sum;
    }
  }
  return c;
}

describe('sparse products on the lane layout (simd/sparse.ts)', () => {
  it('x @ E and g @ E^T through the lane layout equal the dense float32 sums over E = W * M, bit for bit', () => {
    const arb = fc.tuple(maskSpecArb(1, 40), fc.integer({ min: 1, max: 70 }));
    fc.assert(
      fc.property(arb, ([spec, batch]) => {
        const { rows: k, cols: n } = spec;
        const mask = makeMask(spec);
        const rng = new Rng(spec.seed + 1);
        const e = rng.uniformArray(k * n, -2, 2).map((w, i) => w * mask[i]!);
        const x = rng.uniformArray(batch * k, -2, 2);
        const g = rng.uniformArray(batch * n, -2, 2);
        const lanes = Math.ceil(batch / 4) * 4;
        const kernels = sparseKernels(memory, lanes);
        const { csc, csr } = lists(mask, k, n);
        const place = new Placer();
        const run = (src: Float32Array, inner: number, outer: number, l: { ptr: number[]; idx: number[]; at: number[] }) => {
          const [srcAt, lanesIn, lanesOut, out] = [place.put(src), place.space(inner * lanes), place.space(outer * lanes), place.space(batch * outer)];
          const vals = place.put(l.at.map((i) => e[i]!));
          kernels.transpose(batch, inner, inner, lanes)(srcAt, lanesIn);
          for (let i = 0; i < batch; i++) for (let p = 0; p < inner; p++) expect(read(lanesIn + 4 * (p * lanes + i), 1)[0]).toBe(src[i * inner + p]);
          kernels.spmm(lanesIn, vals, place.put(l.ptr.map((q) => 4 * q), 'i32'), place.put(l.idx, 'i32'), outer, lanesOut);
          kernels.transpose(outer, batch, lanes, outer)(lanesOut, out);
          return read(out, batch * outer);
        };
        const y = run(x, k, n, csc);
        const dx = run(g, n, k, csr);
        const wantY = oracle(batch, k, n, (i, p) => x[i * k + p]!, (p, j) => e[p * n + j]!);
        const wantDx = oracle(batch, n, k, (i, j) => g[i * n + j]!, (j, p) => e[p * n + j]!);
        y.forEach((v, i) => expect(Object.is(v, wantY[i]), `y[${i}]: ${v} vs ${wantY[i]}`).toBe(true));
        dx.forEach((v, i) => expect(Object.is(v, wantDx[i]), `dx[${i}]: ${v} vs ${wantDx[i]}`).toBe(true));
      }),
      FC,
    );
  });

  it('gather and the sampled weight gradient at kept positions (within float32 summation error)', () => {
    const arb = fc.tuple(maskSpecArb(1, 30), fc.integer({ min: 1, max: 70 }));
    fc.assert(
      fc.property(arb, ([spec, batch]) => {
        const { rows: k, cols: n } = spec;
        const mask = makeMask(spec);
        const rng = new Rng(spec.seed + 2);
        const lanes = Math.ceil(batch / 4) * 4;
        const kernels = sparseKernels(memory, lanes);
        const { csr } = lists(mask, k, n);
        const place = new Placer();
        const w = rng.uniformArray(k * n, -1, 1);
        const gathered = place.space(csr.at.length);
        kernels.gather(place.put(w), place.put(csr.at, 'i32'), csr.at.length, gathered);
        expect([...read(gathered, csr.at.length)]).toEqual(csr.at.map((i) => w[i]!));
        // x^T and g^T in the lane layout, padding lanes zero.
        const xT = new Float32Array(k * lanes);
        const gT = new Float32Array(n * lanes);
        for (let i = 0; i < batch; i++) {
          for (let p = 0; p < k; p++) xT[p * lanes + i] = rng.uniform(-2, 2);
          for (let j = 0; j < n; j++) gT[j * lanes + i] = rng.uniform(-2, 2);
        }
        const out = place.space(csr.at.length);
        kernels.sampled(place.put(xT), place.put(gT), place.put(csr.rowOf, 'i32'), place.put(csr.idx, 'i32'), csr.at.length, out);
        const got = read(out, csr.at.length);
        csr.at.forEach((_, q) => {
          const [p, j] = [csr.rowOf[q]!, csr.idx[q]!];
          let [sum, magnitude] = [0, 0];
          for (let i = 0; i < batch; i++) (sum += xT[p * lanes + i]! * gT[j * lanes + i]!, magnitude += Math.abs(xT[p * lanes + i]! * gT[j * lanes + i]!));
          expect(Math.abs(got[q]! - sum), `dW[${p},${j}]`).toBeLessThanOrEqual(2e-6 * magnitude + 1e-30);
        });
      }),
      { ...FC, numRuns: 80 },
    );
  });

  it('refuses a lane count that is not a positive multiple of 4', () => {
    for (const lanes of [0, 3, 62]) expect(() => sparseKernels(memory, lanes)).toThrow(RangeError);
  });
});
