/**
 * Loads the compiled addon (native/, built by node-gyp when `npm ci` installs the optional dependency
 * `rsn-native`, its matrix products on oneDNN or OpenBLAS). When it is missing, says why and which commands
 * build it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BackendError } from '../../core/errors.js';
import { packageRoot } from '../../core/experiment/provenance.js';
import type { ConvolutionAddon } from './conv.js';

/**
 * The functions of native/src/addon.c (and bindings_convolution.c: ConvolutionAddon). Output buffers are passed
 * in; plans are encoded by plan.ts.
 */
export interface NativeAddon extends ConvolutionAddon {
  binary(op: number, a: Float32Array, b: Float32Array, out: Float32Array, sa: number, sb: number): void;
  binaryPlan(op: number, a: Float32Array, b: Float32Array, out: Float32Array, plan: Int32Array): void;
  where(cond: Float32Array, a: Float32Array, b: Float32Array, out: Float32Array, plan: Int32Array): void;
  gather(x: Float32Array | Int32Array, out: Float32Array | Int32Array, plan: Int32Array): void;
  unary(op: number, x: Float32Array, out: Float32Array): void;
  clip(x: Float32Array, out: Float32Array, min: number, max: number): void;
  reduce(op: number, x: Float32Array, out: Float32Array, outer: number, reduced: number, inner: number): void;
  argmax(x: Float32Array, out: Int32Array, outer: number, reduced: number, inner: number): void;
  oneHot(labels: Int32Array, out: Float32Array, depth: number): void;
  /**
   * out [m, n] = op(a) op(b) (row-major; op transposes when tA / tB is 1) through the library the addon was built
   * on (library()), then an epilogue (EPILOGUES) on each value while the output is in cache: relu, or the relu
   * gradient out * (gate > 0) with gate [m, n]; the same floats as the product followed by maximum / reluGrad.
   */
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array, m: number, n: number, k: number, tA: number, tB: number,
    epilogue?: number, gate?: Float32Array,
  ): void;
  adam(
    w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array,
    wOut: Float32Array, mOut: Float32Array, vOut: Float32Array,
    learningRate: number, beta1: number, beta2: number, epsilon: number,
  ): void;
  /**
   * adam on the masked gradient g * mask, and eOut = wOut * mask: mul(g, mask), Adam and the next step's
   * mul(w', mask) in one pass, with the same floats.
   */
  adamMasked(
    w: Float32Array, g: Float32Array, mask: Float32Array, m: Float32Array, v: Float32Array,
    wOut: Float32Array, mOut: Float32Array, vOut: Float32Array, eOut: Float32Array,
    learningRate: number, beta1: number, beta2: number, epsilon: number,
  ): void;
  signStep(x: Float32Array, g: Float32Array, out: Float32Array, scale: number, min: number, max: number): void;
  pgdStep(
    x: Float32Array, current: Float32Array, g: Float32Array, out: Float32Array,
    step: number, eps: number, min: number, max: number,
  ): void;
  /**
   * Sparse kernels (native/src/sparse.c). out[m, groups]: out[i, j] = sum over the blocks b and p in
   * [ptr[b * groups + j], ptr[b * groups + j + 1]) of vals[at[p]] * src[i, idx[p]], with src [m, inner]
   * (layout.ts, PositionLists).
   */
  sparseProduct(
    src: Float32Array, m: number, inner: number, vals: Float32Array,
    ptr: Int32Array, idx: Int32Array, at: Int32Array, groups: number, blocks: number, out: Float32Array,
  ): void;
  /** out[p] = sum_i a[i, r] * b[i, colIdx[p]] for the positions p of row r: a^T b at a layout's positions (CSR order). */
  sampledProduct(a: Float32Array, b: Float32Array, m: number, rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, out: Float32Array): void;
  /**
   * The lane layout: a batch matrix [m, cols] stored transposed as [cols, lanes(m)] (m rounded up to 64), zeros
   * in the padding; the fused MLP kernels keep activations and gradients in it between layers.
   */
  lanes(m: number): number;
  toLanes(src: Float32Array, m: number, cols: number, dst: Float32Array): void;
  fromLanes(srcT: Float32Array, m: number, cols: number, out: Float32Array): void;
  /** The lane layout of the batch [a; b] ([2m, cols]) from the lane layouts of a and b (each [m, cols]). */
  joinLanes(aT: Float32Array, bT: Float32Array, m: number, cols: number, outT: Float32Array): void;
  /**
   * sparseProduct on operands already in the lane layout: outT[j] = sum_p vals[at[p]] * srcT[idx[p]], then an
   * epilogue (EPILOGUES) on each finished sum: relu, or the relu gradient sum * (gate > 0) (gate laid out as outT).
   */
  sparseLanes(
    srcT: Float32Array, lanes: number, inner: number, vals: Float32Array,
    ptr: Int32Array, idx: Int32Array, at: Int32Array, groups: number, blocks: number, outT: Float32Array,
    epilogue?: number, gate?: Float32Array,
  ): void;
  /**
   * sampledProduct on operands in the lane layout, with the CSR lists blocked by column ranges (layout.ts,
   * blockedLists 'csr'): out[at[p]] = aT[r] . bT[idx[p]].
   */
  sampledLanes(
    aT: Float32Array, bT: Float32Array, lanes: number, rows: number, cols: number,
    ptr: Int32Array, idx: Int32Array, at: Int32Array, blocks: number, out: Float32Array,
  ): void;
  /** out[p] = x[at[p]]. */
  gatherAt(x: Float32Array, at: Int32Array, out: Float32Array): void;
  /** out = background (zeros when null), then out[at[p]] = vals[p]. */
  scatterAt(vals: Float32Array, at: Int32Array, out: Float32Array, background: Float32Array | null): void;
  /** out = g * (pre > 0 ? 1 : 0): the gradient through relu (the VJP of maximum(pre, 0)). */
  reluGrad(g: Float32Array, pre: Float32Array, out: Float32Array): void;
  /**
   * -mean_n sum_j targets * logSoftmax(logits) of logits [n, classes] (returned), and in grad the logits' gradient
   * for a cotangent -c n of it, as the composition's VJPs give it.
   */
  softmaxXent(logits: Float32Array, targets: Float32Array, n: number, classes: number, c: number, grad: Float32Array): number;
  /** Threads of the matrix products (OpenMP threads for oneDNN, OpenBLAS threads); every other kernel runs on one. */
  setThreads(threads: number): void;
  getThreads(): number;
  /** The library the matrix products were built on (native/install.cjs, RSN_NATIVE_BLAS). */
  library(): ProductLibrary;
  /** That library's description of its build: version, threading, instruction set. */
  libraryConfig(): string;
}

export type ProductLibrary = 'onednn' | 'openblas';

/** Operation codes shared with native/src/kernels.h. */
export const BINARY_CODES = { add: 0, sub: 1, mul: 2, div: 3, maximum: 4, minimum: 5, greater: 6, greaterEqual: 7, equal: 8 } as const;
export const UNARY_CODES = { neg: 0, exp: 1, log: 2, sqrt: 3, sign: 4 } as const;
export const REDUCE_CODES = { sum: 0, max: 1 } as const;
export const EPILOGUES = { none: 0, relu: 1, reluGrad: 2 } as const;

/**
 * The addon npm ci builds, below the package root whether the sources or dist/ run; RSN_NATIVE_ADDON=path loads
 * another build instead (benchmarks of the other library).
 */
export const ADDON_PATH = process.env.RSN_NATIVE_ADDON || join(packageRoot(), 'native', 'build', 'Release', 'rsn_native.node');

/** What to run where the addon is missing (Debian/Ubuntu names; other systems need a C compiler and oneDNN or OpenBLAS). */
export const BUILD_HINT =
  'install a C toolchain and oneDNN (or OpenBLAS), then build the addon: ' +
  'apt-get install -y build-essential python3 libdnnl-dev && npm run build:native ' +
  '(or libopenblas-dev; npm ci also builds it when these are present)';

const loaded = new Map<string, NativeAddon>();

/** The addon built at `path` (default: the one npm ci builds); another path loads another build, e.g. on the other library. */
export function loadAddon(path: string = ADDON_PATH): NativeAddon {
  const known = loaded.get(path);
  if (known) return known;
  if (!existsSync(path)) {
    throw new BackendError(`the native addon is not built (no ${path})`, BUILD_HINT);
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    loaded.set(path, addon);
    return addon;
  } catch (error) {
    throw new BackendError(`the native addon failed to load: ${(error as Error).message.split('\n')[0]}`, BUILD_HINT);
  }
}
