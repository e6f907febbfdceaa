/**
 * Pruned networks on tfjs-wasm: x @ E and g @ E^T for masked weights E = W * M as sparse products over M's kept
 * positions (simd/sparse.ts), invisible to the core.
 *
 * - A product of two same-shaped matrices (the `mul` primitive) remembers its operands as the candidate masks
 *   of its result (no work: most products are no masked weights).
 * - When such a result is the right operand of a matrix product, its candidates are checked: a float32
 *   matrix of 0s and 1s of at least `minSize` elements and density below `product` is a mask. Each mask
 *   handle is checked once and gets its layout once (the kept positions by column and by row, in the heap),
 *   so once per pruning round; each masked matrix gathers its kept values once per list, so once per step.
 * - The product then transposes its left operand into the lane layout, runs the sparse product and transposes
 *   the result back. Every element is the float32 sum of the kept terms in increasing index order from +0,
 *   which is gemm.ts's sum on E whenever E and the left operand are finite (a pruned term adds +-0, which
 *   changes no sum), so the results are the dense path's, bit for bit; non-finite values at pruned positions
 *   (W = inf there makes E NaN) are skipped where the dense product would propagate them.
 * Every tensor held here is dropped with the handle it was made for (the adapter calls drop()).
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import { maskPositions } from '../mask-positions.js';
import type { WasmHeap } from './heap.js';

/**
 * Where masked products switch to the sparse kernels. Measured with
 * `npx tsx benchmarks/perf/micro/wasm-sparse-crossover.ts` (README.md, "Pruned networks on wasm"; CPU time per
 * call, batch 60, the 2-core Intel Xeon this was developed on, shared with other work): with the transposes
 * into and out of the lane layout, the sparse products beat the dense SIMD products below about 70% density
 * (x @ E) and 66% (g @ E^T) for [784, 300], 59% and 67% for [300, 100]; for [100, 10] (1,000 weights, a few
 * microseconds) the transposes cost as much as the product. The threshold sits below, so that the protocol's
 * round 3 (51.3%) is sparse and gains (0.8-0.9 of the dense time).
 */
export interface WasmCrossover {
  /** Masks with fewer elements stay dense. */
  readonly minSize: number;
  /** x @ E and g @ E^T use the sparse kernels below this density. */
  readonly product: number;
}

export const WASM_CROSSOVER: WasmCrossover = { minSize: 10_000, product: 0.55 };

/** A mask's kept positions in the heap (int32 data in tensors of the heap), by column and by row. */
interface Layout {
  readonly rows: number;
  readonly cols: number;
  readonly kept: number;
  /** CSC: per column, byte offsets (4 q) of its first kept position in the value list; rows; flat indices. */
  readonly cscPtr: TfTensor;
  readonly cscIdx: TfTensor;
  readonly cscAt: TfTensor;
  /** CSR: the same by row, with columns. */
  readonly csrPtr: TfTensor;
  readonly csrIdx: TfTensor;
  readonly csrAt: TfTensor;
}

/** A masked matrix: the operands of the product that made it, and its kept values once gathered. */
interface Masked {
  readonly candidates: readonly TfTensor[];
  mask?: TfTensor;
  csc?: TfTensor;
  csr?: TfTensor;
}

export interface SparseCounts {
  /** Products computed by the sparse kernels. */
  readonly products: number;
  /** Masks with a layout now, and tensors held for them and their masked matrices. */
  readonly masks: number;
  readonly held: number;
}

export class SparseProducts {
  /** Checked handles: their layout, or null when not a mask below the crossover. */
  private readonly layouts = new Map<TfTensor, Layout | null>();
  private readonly masked = new Map<TfTensor, Masked>();
  private products = 0;

  constructor(private readonly heap: WasmHeap, private readonly crossover: WasmCrossover = WASM_CROSSOVER) {}

  /** Called with every product a * b of the `mul` primitive. */
  noteProduct(a: TfTensor, b: TfTensor, result: TfTensor): void {
    if (result.shape.length !== 2 || result.size < this.crossover.minSize || result.dtype !== 'float32') return;
    if (!sameShape(a, result) || !sameShape(b, result)) return;
    this.masked.set(result, { candidates: a === b ? [a] : [b, a] });
  }

  /** op(a) @ op(b) by the sparse kernels when b is a masked matrix below the crossover, else undefined. */
  product(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor | undefined {
    if (transposeA || a.shape.length !== 2 || a.dtype !== 'float32' || a.shape[0] === 0) return undefined;
    const entry = this.masked.get(b);
    if (!entry) return undefined;
    const layout = this.layoutOf(entry);
    if (!layout) return undefined;
    const [m, k] = [a.shape[0]!, a.shape[1]!];
    // Forward: x[m, rows] @ E -> [m, cols] over the columns' lists; input gradient: g[m, cols] @ E^T -> [m, rows].
    const [inner, outer] = transposeB ? [layout.cols, layout.rows] : [layout.rows, layout.cols];
    if (k !== inner) return undefined;
    const { heap } = this;
    const lanes = Math.ceil(m / 4) * 4;
    const kernels = heap.sparse(lanes);
    const values = this.values(b, entry, layout, transposeB ? 'csr' : 'csc');
    const [ptr, idx] = transposeB ? [layout.csrPtr, layout.csrIdx] : [layout.cscPtr, layout.cscIdx];
    const source = heap.alloc([inner * lanes]);
    const target = heap.alloc([outer * lanes]);
    try {
      kernels.transpose(m, inner, inner, lanes)(heap.offset(a), heap.offset(source));
      kernels.spmm(heap.offset(source), heap.offset(values), heap.offset(ptr), heap.offset(idx), outer, heap.offset(target));
      const out = heap.alloc([m, outer]);
      kernels.transpose(outer, m, lanes, outer)(heap.offset(target), heap.offset(out));
      this.products++;
      return out;
    } finally {
      source.dispose();
      target.dispose();
    }
  }

  /** Called when `handle` is disposed: whatever was made for it goes. */
  drop(handle: TfTensor): void {
    const layout = this.layouts.get(handle);
    if (layout !== undefined) {
      this.layouts.delete(handle);
      if (layout) for (const t of layoutTensors(layout)) t.dispose();
    }
    const entry = this.masked.get(handle);
    if (entry) {
      this.masked.delete(handle);
      entry.csc?.dispose();
      entry.csr?.dispose();
    }
  }

  counts(): SparseCounts {
    return { products: this.products, masks: [...this.layouts.values()].filter(Boolean).length, held: this.size };
  }

  /** Tensors alive only because this holds them (the adapter's leak accounting). */
  get size(): number {
    let n = 0;
    for (const layout of this.layouts.values()) if (layout) n += 6;
    for (const entry of this.masked.values()) n += Number(entry.csc !== undefined) + Number(entry.csr !== undefined);
    return n;
  }

  clear(): void {
    for (const handle of [...this.layouts.keys(), ...this.masked.keys()]) this.drop(handle);
  }

  /** The layout of the first candidate that is a live mask below the crossover. */
  private layoutOf(entry: Masked): Layout | undefined {
    if (entry.mask && !entry.mask.isDisposed) return this.layouts.get(entry.mask) ?? undefined;
    for (const candidate of entry.candidates) {
      if (candidate.isDisposed) continue;
      let layout = this.layouts.get(candidate);
      if (layout === undefined) this.layouts.set(candidate, (layout = this.check(candidate)));
      if (layout) {
        if (entry.mask !== candidate) {
          // Values gathered for another mask (disposed since) are stale.
          entry.csc?.dispose();
          entry.csr?.dispose();
          entry.csc = entry.csr = undefined;
        }
        entry.mask = candidate;
        return layout;
      }
    }
    return undefined;
  }

  /** A layout for `t` when it is a 0/1 float32 matrix below the crossover density, else null. */
  private check(t: TfTensor): Layout | null {
    if (t.dtype !== 'float32' || t.shape.length !== 2 || t.size < this.crossover.minSize) return null;
    const values = this.heap.floats(t);
    let kept = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === 1) kept++;
      else if (v !== 0 || Object.is(v, -0)) return null;
    }
    if (kept >= this.crossover.product * values.length) return null;
    return this.build(values, t.shape[0]!, t.shape[1]!);
  }

  private build(mask: Float32Array, rows: number, cols: number): Layout {
    const positions = maskPositions(mask, rows, cols);
    // Pointers as byte offsets (4 q) into the value list; `at` the flat indices of E, in each list's order.
    const bytes = (ptr: Int32Array) => Int32Array.from(ptr, (q) => 4 * q);
    const lists = {
      cscPtr: bytes(positions.colPtr), cscIdx: positions.rowIdx, cscAt: Int32Array.from(positions.cscToCsr, (q) => positions.flat[q]!),
      csrPtr: bytes(positions.rowPtr), csrIdx: positions.colIdx, csrAt: positions.flat,
    };
    // Tensors of at least one element: an empty mask has empty lists.
    const upload = (list: Int32Array): TfTensor => {
      const t = this.heap.alloc([Math.max(1, list.length)]);
      this.heap.ints(t).set(list);
      return t;
    };
    return {
      rows, cols, kept: positions.nnz,
      cscPtr: upload(lists.cscPtr), cscIdx: upload(lists.cscIdx), cscAt: upload(lists.cscAt),
      csrPtr: upload(lists.csrPtr), csrIdx: upload(lists.csrIdx), csrAt: upload(lists.csrAt),
    };
  }

  /** E's kept values in the order of one list, gathered on first use. */
  private values(e: TfTensor, entry: Masked, layout: Layout, order: 'csc' | 'csr'): TfTensor {
    const held = entry[order];
    if (held) return held;
    const { heap } = this;
    const values = heap.alloc([Math.max(1, layout.kept)]);
    const at = order === 'csc' ? layout.cscAt : layout.csrAt;
    heap.sparse(4).gather(heap.offset(e), heap.offset(at), layout.kept, heap.offset(values));
    entry[order] = values;
    return values;
  }
}

const sameShape = (a: TfTensor, b: TfTensor): boolean => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

const layoutTensors = (l: Layout): TfTensor[] => [l.cscPtr, l.cscIdx, l.cscAt, l.csrPtr, l.csrIdx, l.csrAt];
