/**
 * The three products a masked weight matrix W [k, n] enters in a step, timed side by side on one WebAssembly
 * memory at batch 60: the wasm backend's dense SIMD product (backends/tfjs/simd/gemm.ts, as heap-matmul.ts calls
 * it) against sparse kernels at the mask's kept positions only.
 *
 *   forward      x[60,k] @ W                dense: gemm on W          sparse: CSC lists over x^T (lane layout)
 *   inputGrad    g[60,n] @ W^T              dense: gemm on explicit W^T (the TransposeCache's)   sparse: CSR lists over g^T
 *   weightGrad   x^T g at the kept positions dense: gemm x^T g (A read transposed)              sparse: one dot product per kept weight
 *
 * Each sparse product is timed twice: the kernel alone on operands already in the lane layout (what a backend
 * that kept activations in that layout would pay, as the native backend's fused kernels do), and with the
 * transposes into and out of the lane layout that a per-primitive product on row-major tensors needs. The
 * forward product is also timed as plain JavaScript (scalar loops over the same lists) to show what SIMD adds.
 */
import { gemmKernels } from '../../../../backends/tfjs/simd/gemm.js';
import { sparseKernels } from '../../../../backends/tfjs/simd/sparse.js';
import { Rng } from '../../../../core/nn/rng.js';
import { cpuMicros } from './timing.js';

export const BATCH = 60;
const LANES = Math.ceil(BATCH / 4) * 4;
export const KINDS = ['forward', 'inputGrad', 'weightGrad'] as const;
export type Kind = (typeof KINDS)[number];

export interface ProductTimes {
  readonly shape: readonly [number, number];
  readonly density: number;
  /** Kept positions of the mask. */
  readonly kept: number;
  /** CPU microseconds per call, each a median of alternating batches. */
  readonly dense: Record<Kind, number>;
  readonly sparseKernel: Record<Kind, number>;
  readonly sparseRowMajor: Record<Kind, number>;
  readonly jsForward: number;
  /** Largest |sparse - dense| over the outputs (forward and inputGrad: 0 expected; weightGrad: summation order). */
  readonly maxDifference: Record<Kind, number>;
}

const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } };

/** A bump allocator of 16-byte aligned float32 / int32 arrays in one memory. */
class Arena {
  readonly memory = new wasm.Memory({ initial: 512 });
  private next = 64;
  floats(length: number): { at: number; f: Float32Array } {
    const at = this.take(length);
    return { at, f: new Float32Array(this.memory.buffer, at, length) };
  }
  ints(values: readonly number[] | Int32Array): number {
    const at = this.take(values.length);
    new Int32Array(this.memory.buffer, at, values.length).set(values);
    return at;
  }
  reset(): void {
    this.next = 64;
  }
  private take(length: number): number {
    const at = this.next;
    this.next += Math.ceil((length * 4) / 16) * 16 + 16;
    if (this.next > this.memory.buffer.byteLength) throw new RangeError('benchmark arena full');
    return at;
  }
}

/** Kept positions of a k x n mask by column (CSC) and by row (CSR), each in increasing order of the other index. */
function lists(mask: Uint8Array, k: number, n: number) {
  const csc = { ptr: [0], rows: [] as number[], flat: [] as number[] };
  for (let j = 0; j < n; j++) {
    for (let p = 0; p < k; p++) if (mask[p * n + j]) (csc.rows.push(p), csc.flat.push(p * n + j));
    csc.ptr.push(csc.rows.length);
  }
  const csr = { ptr: [0], cols: [] as number[], rows: [] as number[], flat: [] as number[] };
  for (let p = 0; p < k; p++) {
    for (let j = 0; j < n; j++) if (mask[p * n + j]) (csr.cols.push(j), csr.rows.push(p), csr.flat.push(p * n + j));
    csr.ptr.push(csr.cols.length);
  }
  return { csc, csr };
}

const maxAbsDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

/** Times every product of one layer shape at each density (densities in (0, 1]). */
export function timeProducts(k: number, n: number, densities: readonly number[], rng: Rng, samples: number): ProductTimes[] {
  const arena = new Arena();
  const gemm = gemmKernels(arena.memory);
  const kernels = sparseKernels(arena.memory, LANES);
  const forwardGemm = gemm({ m: BATCH, k, n, rowStride: k, depthStride: 1 });
  const inputGemm = gemm({ m: BATCH, k: n, n: k, rowStride: n, depthStride: 1 });
  const weightGemm = gemm({ m: k, k: BATCH, n, rowStride: 1, depthStride: k });
  const toLanesX = kernels.transpose(BATCH, k, k, LANES);
  const toLanesG = kernels.transpose(BATCH, n, n, LANES);
  const fromLanesY = kernels.transpose(n, BATCH, LANES, n);
  const fromLanesDx = kernels.transpose(k, BATCH, LANES, k);
  const results: ProductTimes[] = [];
  for (const density of densities) {
    arena.reset();
    const x = arena.floats(BATCH * k);
    const g = arena.floats(BATCH * n);
    const w = arena.floats(k * n);
    const wT = arena.floats(n * k);
    const [y, dx, dW] = [arena.floats(BATCH * n), arena.floats(BATCH * k), arena.floats(k * n)];
    const [xT, gT, yT, dxT] = [arena.floats(k * LANES), arena.floats(n * LANES), arena.floats(n * LANES), arena.floats(k * LANES)];
    x.f.set(rng.uniformArray(BATCH * k, -1, 1));
    g.f.set(rng.uniformArray(BATCH * n, -1, 1));
    const mask = Uint8Array.from({ length: k * n }, () => Number(rng.next() < density));
    const weights = rng.uniformArray(k * n, -1, 1);
    // The dense products see the masked weights E = W * M, as the step makes them.
    for (let i = 0; i < k * n; i++) w.f[i] = weights[i]! * mask[i]!;
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) wT.f[j * k + p] = w.f[p * n + j]!;
    const { csc, csr } = lists(mask, k, n);
    const kept = csc.rows.length;
    const cscVals = arena.floats(Math.max(kept, 1));
    cscVals.f.set(csc.flat.map((i) => w.f[i]!));
    const csrVals = arena.floats(Math.max(kept, 1));
    csrVals.f.set(csr.flat.map((i) => w.f[i]!));
    const cscPtr = arena.ints(csc.ptr.map((q) => q * 4));
    const cscIdx = arena.ints(csc.rows);
    const csrPtr = arena.ints(csr.ptr.map((q) => q * 4));
    const csrIdx = arena.ints(csr.cols);
    const aIdx = arena.ints(csr.rows);
    const sampledOut = arena.floats(Math.max(kept, 1));
    const { cscPtrJs, cscRowsJs, cscValsJs } = { cscPtrJs: Int32Array.from(csc.ptr), cscRowsJs: Int32Array.from(csc.rows), cscValsJs: Float32Array.from(cscVals.f) };
    const acc = new Float32Array(LANES);

    const dense: Record<Kind, () => void> = {
      forward: () => forwardGemm(x.at, w.at, y.at),
      inputGrad: () => inputGemm(g.at, wT.at, dx.at),
      weightGrad: () => weightGemm(x.at, g.at, dW.at),
    };
    const sparseKernel: Record<Kind, () => void> = {
      forward: () => kernels.spmm(xT.at, cscVals.at, cscPtr, cscIdx, n, yT.at),
      inputGrad: () => kernels.spmm(gT.at, csrVals.at, csrPtr, csrIdx, k, dxT.at),
      weightGrad: () => kernels.sampled(xT.at, gT.at, aIdx, csrIdx, kept, sampledOut.at),
    };
    const sparseRowMajor: Record<Kind, () => void> = {
      forward: () => (toLanesX(x.at, xT.at), sparseKernel.forward(), fromLanesY(yT.at, y.at)),
      inputGrad: () => (toLanesG(g.at, gT.at), sparseKernel.inputGrad(), fromLanesDx(dxT.at, dx.at)),
      weightGrad: () => (toLanesX(x.at, xT.at), toLanesG(g.at, gT.at), sparseKernel.weightGrad()),
    };
    const jsForward = (): void => {
      const src = xT.f;
      const dst = yT.f;
      for (let j = 0; j < n; j++) {
        acc.fill(0);
        for (let q = cscPtrJs[j]!; q < cscPtrJs[j + 1]!; q++) {
          const v = cscValsJs[q]!;
          const base = cscRowsJs[q]! * LANES;
          for (let l = 0; l < LANES; l++) acc[l] = Math.fround(acc[l]! + Math.fround(v * src[base + l]!));
        }
        dst.set(acc, j * LANES);
      }
    };

    // Agreement: sparse (row-major in and out) against dense on the masked weights.
    const maxDifference = {} as Record<Kind, number>;
    dense.forward();
    const yDense = y.f.slice();
    sparseRowMajor.forward();
    maxDifference.forward = maxAbsDiff(y.f, yDense);
    dense.inputGrad();
    const dxDense = dx.f.slice();
    sparseRowMajor.inputGrad();
    maxDifference.inputGrad = maxAbsDiff(dx.f, dxDense);
    dense.weightGrad();
    sparseRowMajor.weightGrad();
    maxDifference.weightGrad = maxAbsDiff(sampledOut.f.subarray(0, kept), Float32Array.from(csr.flat, (i) => dW.f[i]!));

    const timed = cpuMicros(
      {
        ...Object.fromEntries(KINDS.flatMap((kind) => [[`dense ${kind}`, dense[kind]], [`kernel ${kind}`, sparseKernel[kind]], [`rowMajor ${kind}`, sparseRowMajor[kind]]])),
        js: jsForward,
      },
      samples,
    );
    const pick = (prefix: string) => Object.fromEntries(KINDS.map((kind) => [kind, timed[`${prefix} ${kind}`]!])) as Record<Kind, number>;
    results.push({
      shape: [k, n], density, kept,
      dense: pick('dense'), sparseKernel: pick('kernel'), sparseRowMajor: pick('rowMajor'), jsForward: timed['js']!, maxDifference,
    });
  }
  return results;
}
