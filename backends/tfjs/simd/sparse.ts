/**
 * Sparse matrix products on the lane layout, as WebAssembly SIMD functions over a memory: the wasm backend's
 * products of pruned weights (../sparse.ts); benchmarks/perf/micro/wasm-sparse-crossover.ts times them against
 * gemm.ts.
 *
 * The lane layout holds a batch of activations transposed: a [batch, features] matrix as `features` rows of
 * `lanes` floats (the batch padded to a multiple of 4), so that one four-lane vector holds one feature of four
 * batch rows. A masked weight matrix W [k, n] with its kept positions listed by column (CSC) then gives
 * y^T = (x W)^T as, for each output j, the sum over the kept rows p of column j, in increasing p, of
 * W(p, j) * x^T(p, :): one multiply-add of `lanes / 4` vectors per kept weight. The same function with the
 * positions listed by row (CSR) gives the input gradient dx^T = (g W^T)^T. Each output element is the float32
 * sum of its kept terms in increasing index order from +0, which is what gemm.ts computes on the masked matrix
 * for finite inputs (a pruned term adds +-0, which changes no sum), so the two agree bit for bit.
 *
 * The sampled weight gradient dW(p, j) = x^T(p, :) . g^T(j, :) at kept positions only is a dot product of
 * `lanes` floats per kept weight (four partial sums, then the lanes); its summation order differs from gemm's.
 */
import { compile, I32, instantiate, Locals, V128, op, wasmModule, type WasmFunction } from './binary.js';

const BYTES = 4;
const LANES = 4;
/** Accumulator vectors per pass over a list (with the splat and a loaded vector, within 16 registers). */
const VECTORS_PER_PASS = 8;

/** Rows of `lanes` floats are whole SIMD vectors. */
function checkLanes(lanes: number): void {
  if (!(lanes >= LANES && lanes % LANES === 0)) throw new RangeError(`lanes must be a positive multiple of 4, got ${lanes}`);
}

/**
 * spmm(src, vals, ptr, idx, count, dst): for j < count, dst row j = sum over q in [ptr[j], ptr[j+1]) of
 * vals[q] * (src row idx[q]), in increasing q from +0. `ptr` (int32, count + 1 entries) holds byte offsets into
 * vals (4 q), `idx` (int32) row indices; rows are `lanes` floats (a multiple of 4).
 */
export function sparseLanesFunction(name: string, lanes: number, vectorsPerPass = VECTORS_PER_PASS): WasmFunction {
  checkLanes(lanes);
  const [SRC, VALS, PTR, IDX, COUNT, DST] = [0, 1, 2, 3, 4, 5];
  const locals = new Locals(6);
  const jp = locals.add(I32);
  const jEnd = locals.add(I32);
  const dp = locals.add(I32);
  const start = locals.add(I32);
  const end = locals.add(I32);
  const qp = locals.add(I32);
  const delta = locals.add(I32);
  const row = locals.add(I32);
  const w = locals.add(V128);
  const accumulators = Array.from({ length: Math.min(vectorsPerPass, lanes / LANES) }, () => locals.add(V128));
  const { localGet: get, localSet: set } = op;
  const vectors = lanes / LANES;

  const pass = (first: number, count: number): number[] => {
    const acc = accumulators.slice(0, count);
    return [
      ...acc.flatMap((a) => [...op.v128Zero, ...set(a)]),
      ...get(start), ...set(qp),
      ...op.block, ...op.loop,
      ...get(qp), ...get(end), ...op.i32GeU, ...op.brIf(1),
      ...get(qp), ...op.v128Load32SplatAt(0), ...set(w),
      ...get(qp), ...get(delta), ...op.i32Add, ...op.i32LoadAt(0), ...op.i32Const(lanes * BYTES), ...op.i32Mul, ...get(SRC), ...op.i32Add, ...set(row),
      ...acc.flatMap((a, v) => [...get(a), ...get(w), ...get(row), ...op.v128LoadAt((first + v) * LANES * BYTES), ...op.f32x4.mul, ...op.f32x4.add, ...set(a)]),
      ...get(qp), ...op.i32Const(BYTES), ...op.i32Add, ...set(qp),
      ...op.br(0), ...op.end, ...op.end,
      ...acc.flatMap((a, v) => [...get(dp), ...get(a), ...op.v128StoreAt((first + v) * LANES * BYTES)]),
    ];
  };
  const passes: number[] = [];
  for (let first = 0; first < vectors; first += vectorsPerPass) passes.push(...pass(first, Math.min(vectorsPerPass, vectors - first)));

  const code = [
    ...get(IDX), ...get(VALS), ...op.i32Sub, ...set(delta),
    ...get(PTR), ...set(jp),
    ...get(PTR), ...get(COUNT), ...op.i32Const(BYTES), ...op.i32Mul, ...op.i32Add, ...set(jEnd),
    ...get(DST), ...set(dp),
    ...op.block, ...op.loop,
    ...get(jp), ...get(jEnd), ...op.i32GeU, ...op.brIf(1),
    ...get(jp), ...op.i32LoadAt(0), ...get(VALS), ...op.i32Add, ...set(start),
    ...get(jp), ...op.i32LoadAt(BYTES), ...get(VALS), ...op.i32Add, ...set(end),
    ...passes,
    ...get(jp), ...op.i32Const(BYTES), ...op.i32Add, ...set(jp),
    ...get(dp), ...op.i32Const(lanes * BYTES), ...op.i32Add, ...set(dp),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return { name, params: [I32, I32, I32, I32, I32, I32], locals: locals.declarations(), code };
}

/**
 * sampled(a, b, aIdx, bIdx, count, out): for q < count, out[q] = (a row aIdx[q]) . (b row bIdx[q]), rows of
 * `lanes` floats (int32 row indices); four vector partial sums, then lanes 0 + 1 + 2 + 3.
 */
export function sampledLanesFunction(name: string, lanes: number): WasmFunction {
  checkLanes(lanes);
  const [A, B, AIDX, BIDX, COUNT, OUT] = [0, 1, 2, 3, 4, 5];
  const locals = new Locals(6);
  const qp = locals.add(I32);
  const qEnd = locals.add(I32);
  const bDelta = locals.add(I32);
  const oDelta = locals.add(I32);
  const pa = locals.add(I32);
  const pb = locals.add(I32);
  const vectors = lanes / LANES;
  const accumulators = Array.from({ length: Math.min(4, vectors) }, () => locals.add(V128));
  const sum = locals.add(V128);
  const { localGet: get, localSet: set } = op;
  const products = Array.from({ length: vectors }, (_, v) => {
    const a = accumulators[v % accumulators.length]!;
    const product = [...get(pa), ...op.v128LoadAt(v * LANES * BYTES), ...get(pb), ...op.v128LoadAt(v * LANES * BYTES), ...op.f32x4.mul];
    return v < accumulators.length ? [...product, ...set(a)] : [...get(a), ...product, ...op.f32x4.add, ...set(a)];
  }).flat();
  const combine = [
    ...get(accumulators[0]!),
    ...accumulators.slice(1).flatMap((a) => [...get(a), ...op.f32x4.add]),
    ...set(sum),
  ];
  const code = [
    ...get(BIDX), ...get(AIDX), ...op.i32Sub, ...set(bDelta),
    ...get(OUT), ...get(AIDX), ...op.i32Sub, ...set(oDelta),
    ...get(AIDX), ...set(qp),
    ...get(AIDX), ...get(COUNT), ...op.i32Const(BYTES), ...op.i32Mul, ...op.i32Add, ...set(qEnd),
    ...op.block, ...op.loop,
    ...get(qp), ...get(qEnd), ...op.i32GeU, ...op.brIf(1),
    ...get(qp), ...op.i32LoadAt(0), ...op.i32Const(lanes * BYTES), ...op.i32Mul, ...get(A), ...op.i32Add, ...set(pa),
    ...get(qp), ...get(bDelta), ...op.i32Add, ...op.i32LoadAt(0), ...op.i32Const(lanes * BYTES), ...op.i32Mul, ...get(B), ...op.i32Add, ...set(pb),
    ...products,
    ...combine,
    ...get(qp), ...get(oDelta), ...op.i32Add,
    ...get(sum), ...op.f32x4ExtractLane(0), ...get(sum), ...op.f32x4ExtractLane(1), ...op.f32.add,
    ...get(sum), ...op.f32x4ExtractLane(2), ...op.f32.add, ...get(sum), ...op.f32x4ExtractLane(3), ...op.f32.add,
    ...op.f32StoreAt(0),
    ...get(qp), ...op.i32Const(BYTES), ...op.i32Add, ...set(qp),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return { name, params: [I32, I32, I32, I32, I32, I32], locals: locals.declarations(), code };
}

/**
 * transpose(src, dst): dst(c, r) = src(r, c) for r < rows, c < cols; src rows `srcStride` floats apart, dst
 * rows `dstStride` floats apart (the lane layout's padded batch). Scalar: one load and one store per element.
 */
export function transposeFunction(name: string, rows: number, cols: number, srcStride: number, dstStride: number): WasmFunction {
  const [SRC, DST] = [0, 1];
  const locals = new Locals(2);
  const sp = locals.add(I32);
  const dp = locals.add(I32);
  const column = locals.add(I32);
  const rowEnd = locals.add(I32);
  const { localGet: get, localSet: set } = op;
  // For each column c: walk down the rows of src (stride srcStride) and along row c of dst.
  const code = [
    ...op.i32Const(0), ...set(column),
    ...op.loop,
    ...get(SRC), ...get(column), ...op.i32Const(BYTES), ...op.i32Mul, ...op.i32Add, ...set(sp),
    ...get(DST), ...get(column), ...op.i32Const(dstStride * BYTES), ...op.i32Mul, ...op.i32Add, ...set(dp),
    ...get(dp), ...op.i32Const(rows * BYTES), ...op.i32Add, ...set(rowEnd),
    ...op.loop,
    ...get(dp), ...get(sp), ...op.f32LoadAt(0), ...op.f32StoreAt(0),
    ...get(sp), ...op.i32Const(srcStride * BYTES), ...op.i32Add, ...set(sp),
    ...get(dp), ...op.i32Const(BYTES), ...op.i32Add, ...set(dp),
    ...get(dp), ...get(rowEnd), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
    ...get(column), ...op.i32Const(1), ...op.i32Add, ...set(column),
    ...get(column), ...op.i32Const(cols), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
  ];
  return { name, params: [I32, I32], locals: locals.declarations(), code };
}

/** gather(src, at, count, dst): dst[q] = src float at[q] for q < count (`at`: int32 element indices). */
export function gatherFunction(name: string): WasmFunction {
  const [SRC, AT, COUNT, DST] = [0, 1, 2, 3];
  const locals = new Locals(4);
  const qp = locals.add(I32);
  const qEnd = locals.add(I32);
  const delta = locals.add(I32);
  const { localGet: get, localSet: set } = op;
  const code = [
    ...get(DST), ...get(AT), ...op.i32Sub, ...set(delta),
    ...get(AT), ...set(qp),
    ...get(AT), ...get(COUNT), ...op.i32Const(BYTES), ...op.i32Mul, ...op.i32Add, ...set(qEnd),
    ...op.block, ...op.loop,
    ...get(qp), ...get(qEnd), ...op.i32GeU, ...op.brIf(1),
    ...get(qp), ...get(delta), ...op.i32Add,
    ...get(qp), ...op.i32LoadAt(0), ...op.i32Const(BYTES), ...op.i32Mul, ...get(SRC), ...op.i32Add, ...op.f32LoadAt(0),
    ...op.f32StoreAt(0),
    ...get(qp), ...op.i32Const(BYTES), ...op.i32Add, ...set(qp),
    ...op.br(0), ...op.end, ...op.end,
  ];
  return { name, params: [I32, I32, I32, I32], locals: locals.declarations(), code };
}

export type SparseLanes = (src: number, vals: number, ptr: number, idx: number, count: number, dst: number) => void;
export type SampledLanes = (a: number, b: number, aIdx: number, bIdx: number, count: number, out: number) => void;
export type Transpose = (src: number, dst: number) => void;
export type Gather = (src: number, at: number, count: number, dst: number) => void;

export interface SparseKernels {
  readonly spmm: SparseLanes;
  readonly sampled: SampledLanes;
  readonly gather: Gather;
  /** transposeFunction's function for one shape, compiled on first use. */
  transpose(rows: number, cols: number, srcStride: number, dstStride: number): Transpose;
}

/** The functions for one lane count (the transposes by shape, made on first use) on `memory`. */
export function sparseKernels(memory: object, lanes: number): SparseKernels {
  const exports = instantiate(compile(wasmModule([sparseLanesFunction('spmm', lanes), sampledLanesFunction('sampled', lanes), gatherFunction('gather')])), memory);
  const transposes = new Map<string, Transpose>();
  return {
    spmm: exports['spmm'] as SparseLanes,
    sampled: exports['sampled'] as SampledLanes,
    gather: exports['gather'] as Gather,
    transpose: (rows, cols, srcStride, dstStride) => {
      const key = `${rows},${cols},${srcStride},${dstStride}`;
      let t = transposes.get(key);
      if (!t) {
        t = instantiate(compile(wasmModule([transposeFunction('transpose', rows, cols, srcStride, dstStride)])), memory)['transpose'] as Transpose;
        transposes.set(key, t);
      }
      return t;
    },
  };
}
