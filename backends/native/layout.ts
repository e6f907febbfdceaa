/**
 * The sparse layout of a 0/1 mask [rows, cols]: its kept positions listed by row (CSR) and by column (CSC),
 * built once per mask handle (a mask lives for a whole pruning round) and read by the sparse kernels of
 * native/src/sparse.c. Compact value arrays hold one value per kept position, in CSR order (row-major).
 */
export interface MaskLayout {
  readonly rows: number;
  readonly cols: number;
  /** Kept positions. */
  readonly nnz: number;
  /** nnz / (rows * cols). */
  readonly density: number;
  /** CSR: positions of row r are [rowPtr[r], rowPtr[r + 1]); colIdx their columns; flat their row-major indices. */
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly flat: Int32Array;
  /** 0, 1, ..., nnz - 1: reads a compact array in CSR order. */
  readonly identity: Int32Array;
  /** CSC: positions of column c are [colPtr[c], colPtr[c + 1]); rowIdx their rows; cscToCsr their CSR positions. */
  readonly colPtr: Int32Array;
  readonly rowIdx: Int32Array;
  readonly cscToCsr: Int32Array;
  /** Blocked position lists (blockedLists), made on first use per order and block size. */
  readonly blocked: Map<string, PositionLists>;
}

/**
 * The positions as the sparse kernels read them (native/src/kernels.h, rsn_sparse_product): `groups` output
 * groups (columns for 'csc', rows for 'csr'), split into `blocks` ranges of the inner index; the positions of
 * group j in block b are [ptr[b * groups + j], ptr[b * groups + j + 1]), with their inner indices `idx` and
 * their places `at` in a compact (CSR-ordered) value array.
 */
export interface PositionLists {
  readonly ptr: Int32Array;
  readonly idx: Int32Array;
  readonly at: Int32Array;
  readonly groups: number;
  readonly blocks: number;
}

/**
 * Inner indices per block: the kernel reads 64 lanes (256 bytes) of each, so a block's operand rows take 32 KiB,
 * well inside a 48 KiB L1 data cache.
 */
const PER_BLOCK = 128;

/**
 * Blocking pays only when a block holds several positions of each output group: every block reloads and stores
 * the group's output lanes. Below this many positions per group and block, one block is faster (measured on the
 * protocol's layers: 15-30% faster at 1.8% of weights, 2 positions per group and block; even at 3.6%, 4; slower
 * at 8.7%, about 10). The products are the same either way: a group's positions keep their inner order.
 */
const MIN_PER_GROUP_BLOCK = 4;

/**
 * The layout's positions by column ('csc', for x @ E) or by row ('csr', for g @ E^T), blocked so that the
 * slices of the dense operand's rows that one block reads fit in L1 (unless they are too sparse for it to pay).
 */
export function blockedLists(layout: MaskLayout, order: 'csc' | 'csr'): PositionLists {
  const perBlock = PER_BLOCK;
  const key = order;
  const known = layout.blocked.get(key);
  if (known) return known;
  const [ptr, idx, at, groups, inner] = order === 'csc'
    ? [layout.colPtr, layout.rowIdx, layout.cscToCsr, layout.cols, layout.rows]
    : [layout.rowPtr, layout.colIdx, layout.identity, layout.rows, layout.cols];
  const byCache = Math.max(1, Math.ceil(inner / perBlock));
  const blocks = layout.nnz < MIN_PER_GROUP_BLOCK * groups * byCache ? 1 : byCache;
  let lists: PositionLists;
  if (blocks === 1) {
    lists = { ptr, idx, at, groups, blocks };
  } else {
    const bptr = new Int32Array(blocks * groups + 1);
    for (let j = 0; j < groups; j++) {
      for (let p = ptr[j]!; p < ptr[j + 1]!; p++) bptr[Math.floor(idx[p]! / perBlock) * groups + j + 1]!++;
    }
    for (let q = 0; q < blocks * groups; q++) bptr[q + 1]! += bptr[q]!;
    const next = bptr.slice(0, blocks * groups);
    const bidx = new Int32Array(idx.length);
    const bat = new Int32Array(at.length);
    for (let j = 0; j < groups; j++) {
      for (let p = ptr[j]!; p < ptr[j + 1]!; p++) {
        const slot = next[Math.floor(idx[p]! / perBlock) * groups + j]!++;
        bidx[slot] = idx[p]!;
        bat[slot] = at[p]!;
      }
    }
    lists = { ptr: bptr, idx: bidx, at: bat, groups, blocks };
  }
  layout.blocked.set(key, lists);
  return lists;
}

/** True when every value is exactly 0 or 1 (either zero sign): the values a pruning mask holds. */
export function isZeroOne(values: Float32Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v !== 0 && v !== 1) return false;
  }
  return true;
}

/** The layout of a 0/1 matrix (the caller checked isZeroOne). */
export function maskLayout(values: Float32Array, rows: number, cols: number): MaskLayout {
  let nnz = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 1) nnz++;
  const rowPtr = new Int32Array(rows + 1);
  const colIdx = new Int32Array(nnz);
  const flat = new Int32Array(nnz);
  const colCount = new Int32Array(cols + 1);
  let p = 0;
  for (let r = 0; r < rows; r++) {
    rowPtr[r] = p;
    for (let c = 0, i = r * cols; c < cols; c++, i++) {
      if (values[i] !== 1) continue;
      colIdx[p] = c;
      flat[p++] = i;
      colCount[c + 1]!++;
    }
  }
  rowPtr[rows] = p;
  const colPtr = new Int32Array(cols + 1);
  for (let c = 0; c < cols; c++) colPtr[c + 1] = colPtr[c]! + colCount[c + 1]!;
  const rowIdx = new Int32Array(nnz);
  const cscToCsr = new Int32Array(nnz);
  const next = colPtr.slice(0, cols);
  for (let r = 0; r < rows; r++) {
    for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) {
      const at = next[colIdx[q]!]!++;
      rowIdx[at] = r;
      cscToCsr[at] = q;
    }
  }
  const identity = new Int32Array(nnz);
  for (let q = 0; q < nnz; q++) identity[q] = q;
  const size = rows * cols;
  return { rows, cols, nnz, density: size === 0 ? 1 : nnz / size, rowPtr, colIdx, flat, identity, colPtr, rowIdx, cscToCsr, blocked: new Map() };
}
