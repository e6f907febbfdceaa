/**
 * The sparse layout of a 0/1 mask [rows, cols]: its kept positions listed by row (CSR) and by column (CSC),
 * built once per mask handle (a mask lives for a whole pruning round) and read by the sparse kernels of
 * native/src/sparse.c. Compact value arrays hold one value per kept position, in CSR order (row-major).
 */
import { maskPositions, type MaskPositions } from '../mask-positions.js';

export interface MaskLayout extends MaskPositions {
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
  return zeroOneDensity(values) !== undefined;
}

/**
 * The share of ones in a matrix of 0s and 1s, or undefined when another value occurs. One pass and no allocation:
 * it lets the caller skip building a layout for a dense 0/1 matrix (a ReLU's gradient mask, about half ones)
 * that would be dropped at once.
 */
export function zeroOneDensity(values: Float32Array): number | undefined {
  let ones = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === 1) ones++;
    else if (v !== 0) return undefined;
  }
  return values.length === 0 ? 1 : ones / values.length;
}

/** The layout of a 0/1 matrix (the caller checked isZeroOne), with no blocked lists made yet. */
export const maskLayout = (values: Float32Array, rows: number, cols: number): MaskLayout => ({ ...maskPositions(values, rows, cols), blocked: new Map() });
