/**
 * Matrix products C = op(A) @ B as WebAssembly SIMD functions generated for one shape each, working on
 * tensors in tfjs-wasm's heap without packing them.
 *
 * Why: XNNPACK (tfjs-wasm's BatchMatMul) first packs its right operand into its own layout, once per tensor,
 * and its kernel ran at 16-25 GFLOP/s here; a PGD-10 training step makes 24 products with the first layer's
 * weights, and every step has new weights to pack. The kernel here reads B in place: a tile of 4 rows x 8
 * columns of C is 8 four-lane accumulators; each step over k loads 8 floats of one row of B and broadcasts
 * one element of A per row (v128.load32_splat). The shape and A's strides are constants in the code, so
 * every address is a base pointer plus an immediate offset; a transposed A (the weight gradient's
 * activations^T) is A read with swapped strides, at no cost. The sum runs in blocks of DEPTH_BLOCK rows of
 * B, so that a tile's slice of B stays in the L1 cache while every row of A passes over it; a later block
 * resumes from the partial sums the earlier ones stored in C.
 *
 * Every element of C is the float32 sum over k in increasing order, starting from 0:
 * c = fl(... fl(fl(0 + fl(a0 b0)) + fl(a1 b1)) ...), whatever tile computes it. So the result does not depend
 * on the tiling, and test/backends/simd-gemm.test.ts checks it bit for bit against that loop.
 */
import { compile, F32, I32, instantiate, Locals, V128, op, wasmModule, type WasmFunction } from './binary.js';

export interface GemmShape {
  /** C is m x n; the sum runs over k (k >= 1, m >= 1, n >= 1). */
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Element strides of A: A(i, p) is at A + (i * rowStride + p * depthStride) floats. */
  readonly rowStride: number;
  readonly depthStride: number;
}

/** Rows of a full tile; columns are 8 (two vectors), then one vector, then single columns. */
const TILE_ROWS = 4;
const LANES = 4;
const BYTES = 4;
/** Rows of B (and columns of A) per block of the sum (128 x 32 bytes of B per tile). */
const DEPTH_BLOCK = 128;

/** gemm(a, b, c): byte offsets of A, of B (k x n, row-major) and of C (m x n, row-major). */
export function gemmFunction(name: string, shape: GemmShape, depthBlock = DEPTH_BLOCK): WasmFunction {
  const { m, k, n, rowStride, depthStride } = shape;
  if (!(m >= 1 && k >= 1 && n >= 1)) throw new RangeError(`gemm needs m, k, n >= 1, got ${m}, ${k}, ${n}`);
  const [A, B, C] = [0, 1, 2];
  const locals = new Locals(3);
  const depth = locals.add(I32); // first k of the current block of the sum
  const depthEnd = locals.add(I32); // its end
  const aRow = locals.add(I32); // byte offset of the tile's first row in A, from A
  const cRow = locals.add(I32); // byte offset of the tile's first row in C, from C
  const column = locals.add(I32); // byte offset of the tile's first column in a row of B and C
  const ap = locals.add(I32);
  const bp = locals.add(I32);
  const bEnd = locals.add(I32);
  const cp = locals.add(I32);
  const splat = locals.add(V128);
  const bVectors = [locals.add(V128), locals.add(V128)];
  const accumulators = Array.from({ length: TILE_ROWS * 2 }, () => locals.add(V128));
  const scalarA = locals.add(F32);
  const scalarB = locals.add(F32);
  const scalarAccumulators = Array.from({ length: TILE_ROWS }, () => locals.add(F32));

  const get = op.localGet;
  const set = op.localSet;
  const increment = (local: number, bytes: number) => [...get(local), ...op.i32Const(bytes), ...op.i32Add, ...set(local)];
  const rowBytesB = n * BYTES;
  const blocks = Math.ceil(k / depthBlock);

  /** One tile: `rows` rows of C from cRow/aRow, `vectors` four-column vectors (or one column when 0) from column. */
  const tile = (rows: number, vectors: number): number[] => {
    const scalarTile = vectors === 0;
    const acc = (r: number, v: number) => (scalarTile ? scalarAccumulators[r]! : accumulators[r * 2 + v]!);
    const width = scalarTile ? 1 : vectors;
    const cOffset = (r: number, v: number) => r * rowBytesB + v * LANES * BYTES;
    const each = (emit: (r: number, v: number) => number[]) =>
      Array.from({ length: rows }, (_, r) => Array.from({ length: width }, (__, v) => emit(r, v))).flat(2);
    const zero = each((r, v) => [...(scalarTile ? op.f32Const(0) : op.v128Zero), ...set(acc(r, v))]);
    // A later block of the sum goes on from the partial sums the earlier blocks stored in C.
    const resume = each((r, v) => [...get(cp), ...(scalarTile ? op.f32LoadAt(cOffset(r, v)) : op.v128LoadAt(cOffset(r, v))), ...set(acc(r, v))]);
    const code: number[] = [
      ...get(C), ...get(cRow), ...op.i32Add, ...get(column), ...op.i32Add, ...set(cp),
      ...(blocks === 1 ? zero : [...get(depth), ...op.i32Eqz, ...op.if, ...zero, ...op.else, ...resume, ...op.end]),
      ...get(A), ...get(aRow), ...op.i32Add, ...get(depth), ...op.i32Const(depthStride * BYTES), ...op.i32Mul, ...op.i32Add, ...set(ap),
      ...get(B), ...get(column), ...op.i32Add, ...set(bp),
      ...get(bp), ...get(depthEnd), ...op.i32Const(rowBytesB), ...op.i32Mul, ...op.i32Add, ...set(bEnd),
      ...get(bp), ...get(depth), ...op.i32Const(rowBytesB), ...op.i32Mul, ...op.i32Add, ...set(bp),
      ...op.loop,
    ];
    for (let v = 0; v < width; v++) {
      code.push(...get(bp), ...(scalarTile ? op.f32LoadAt(0) : op.v128LoadAt(v * LANES * BYTES)), ...set(scalarTile ? scalarB : bVectors[v]!));
    }
    for (let r = 0; r < rows; r++) {
      const offset = r * rowStride * BYTES;
      code.push(...get(ap), ...(scalarTile ? op.f32LoadAt(offset) : op.v128Load32SplatAt(offset)), ...set(scalarTile ? scalarA : splat));
      for (let v = 0; v < width; v++) {
        const [a, b, mul, add] = scalarTile
          ? [scalarA, scalarB, op.f32.mul, op.f32.add]
          : [splat, bVectors[v]!, op.f32x4.mul, op.f32x4.add];
        code.push(...get(acc(r, v)), ...get(a), ...get(b), ...mul, ...add, ...set(acc(r, v)));
      }
    }
    code.push(
      ...increment(ap, depthStride * BYTES),
      ...increment(bp, rowBytesB),
      ...get(bp), ...get(bEnd), ...op.i32LtU, ...op.brIf(0),
      ...op.end,
      ...each((r, v) => [...get(cp), ...get(acc(r, v)), ...(scalarTile ? op.f32StoreAt(cOffset(r, v)) : op.v128StoreAt(cOffset(r, v)))]),
    );
    return code;
  };

  /** Every row of C for the columns at `column`: full tiles in a loop, then the remaining rows. */
  const columnsOfTile = (vectors: number): number[] => {
    const fullRows = m - (m % TILE_ROWS);
    const code = [...op.i32Const(0), ...set(aRow), ...op.i32Const(0), ...set(cRow)];
    if (fullRows > 0) {
      code.push(
        ...op.loop,
        ...tile(TILE_ROWS, vectors),
        ...increment(aRow, TILE_ROWS * rowStride * BYTES),
        ...increment(cRow, TILE_ROWS * rowBytesB),
        ...get(cRow), ...op.i32Const(fullRows * rowBytesB), ...op.i32LtU, ...op.brIf(0),
        ...op.end,
      );
    }
    if (m % TILE_ROWS > 0) code.push(...tile(m % TILE_ROWS, vectors));
    return code;
  };

  /** Every column of C, for the current block of the sum. */
  const pairColumns = n - (n % (2 * LANES));
  const allColumns: number[] = [];
  if (pairColumns > 0) {
    allColumns.push(
      ...op.i32Const(0), ...set(column),
      ...op.loop,
      ...columnsOfTile(2),
      ...increment(column, 2 * LANES * BYTES),
      ...get(column), ...op.i32Const(pairColumns * BYTES), ...op.i32LtU, ...op.brIf(0),
      ...op.end,
    );
  }
  let done = pairColumns;
  if (n - done >= LANES) {
    allColumns.push(...op.i32Const(done * BYTES), ...set(column), ...columnsOfTile(1));
    done += LANES;
  }
  for (; done < n; done++) allColumns.push(...op.i32Const(done * BYTES), ...set(column), ...columnsOfTile(0));

  // depthEnd = min(depth + depthBlock, k)
  const code = [
    ...op.i32Const(0), ...set(depth),
    ...op.loop,
    ...get(depth), ...op.i32Const(depthBlock), ...op.i32Add, ...set(depthEnd),
    ...get(depthEnd), ...op.i32Const(k), ...get(depthEnd), ...op.i32Const(k), ...op.i32LtU, ...op.select, ...set(depthEnd),
    ...allColumns,
    ...get(depthEnd), ...set(depth),
    ...get(depth), ...op.i32Const(k), ...op.i32LtU, ...op.brIf(0),
    ...op.end,
  ];
  return { name, params: [I32, I32, I32], locals: locals.declarations(), code };
}

export type Gemm = (a: number, b: number, c: number) => void;

/** Products on `memory` (a WebAssembly.Memory): one compiled function per shape, made on first use. */
export function gemmKernels(memory: object, depthBlock = DEPTH_BLOCK): (shape: GemmShape) => Gemm {
  const byShape = new Map<string, Gemm>();
  return (shape) => {
    const key = `${shape.m},${shape.k},${shape.n},${shape.rowStride},${shape.depthStride}`;
    let gemm = byShape.get(key);
    if (!gemm) {
      gemm = instantiate(compile(wasmModule([gemmFunction('gemm', shape, depthBlock)])), memory)['gemm'] as Gemm;
      byShape.set(key, gemm);
    }
    return gemm;
  };
}
