/**
 * The native backend's sparse path: pruned weight matrices cost what their kept weights cost, while the core
 * keeps seeing dense primitives (backends/backend.ts knows nothing of it).
 *
 * How a step looks from here (core/nn/train-step.ts): E = mul(W, M) with M the round's 0/1 mask; E enters
 * matmul(x, E) and matmul(g, E, transposeB) (forward passes, attacks, backward); the weight gradient is
 * matmul(h, g, transposeA) = dE, masked by mul(dE, M); then Adam on W, dE * M and its moments.
 *
 * - A mask is recognised by its values: a float32 matrix of 0s and 1s (at least CROSSOVER.minSize elements)
 *   used in mul with a same-shaped operand. It is checked once per handle, and its layout (layout.ts) built
 *   once, then kept until the handle is disposed (pool buffers are recycled, so every cache entry is dropped
 *   on dispose). Only masks below the measured density crossover (crossover.ts) get a layout; above it every
 *   kernel runs as before.
 * - mul(X, M) with such a mask gives a handle with a compact form (one value per kept position) whose dense
 *   values are filled only when something other than these kernels reads it (`materialize`). Its pruned
 *   positions read as +0 (the dense product gives X * 0: -0 for negative X, NaN for non-finite X).
 * - matmul with a compact right operand runs the sparse product; matmul(h, g, transposeA) whose shape is that
 *   of a live sparse mask is deferred (its operands copied): when its first use is mul(., M) it is computed
 *   at the kept positions only, otherwise by sgemm when read.
 * - Adam with a compact gradient and moments that are compact or zero outside the kept positions updates only
 *   those positions (the Adam kernel on compact arrays: elsewhere g = m = v = 0 leaves w unchanged). The new
 *   weights are compact over a background: a copy of the first weights of the round's chain, shared by every
 *   later step, so a step writes nothing of size rows * cols.
 */
import { sameShape, sizeOf } from '../../core/autodiff/shapes.js';
import type { OutputSpec, TensorInfo } from '../../core/autodiff/backend.js';
import type { CustomOps } from '../../core/nn/custom-ops.js';
import { EPILOGUES, type NativeAddon } from './addon.js';
import { CROSSOVER, type Crossover } from './crossover.js';
import { blockedLists, maskLayout, zeroOneDensity, type MaskLayout } from './layout.js';
import { BufferPool } from './pool.js';

type Handle = Float32Array | Int32Array;
type Info = TensorInfo<Handle>;

/**
 * A handle's values at the kept positions of a layout (CSR order); elsewhere those of `background` (a dense
 * array that nothing writes to once made), or zero without one.
 */
export interface Compact {
  readonly layout: MaskLayout;
  readonly vals: Float32Array;
  readonly background?: Float32Array;
}

/**
 * A deferred a^T b ([m, rows]^T [m, cols]) with private copies of its operands, or, when `lanes`, the same
 * product of operands in the lane layout (a [rows, m], b [cols, m], m the padded lane count).
 */
interface Product {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly m: number;
  readonly rows: number;
  readonly cols: number;
  readonly lanes: boolean;
  /** Gives the operands back when the product's handle is disposed. */
  readonly release: () => void;
}

/** How often each sparse path ran (tests check that a workload took it). */
export interface SparseCounts {
  /** Masks given a sparse layout. */
  layouts: number;
  /** x @ E and g @ E^T on the sparse kernel. */
  products: number;
  /** Weight gradients computed at the kept positions only. */
  sampled: number;
  /** Adam steps on the kept positions. */
  adam: number;
  /** Deferred dense values written because a dense kernel or a read needed them. */
  materialized: number;
  /** Internal buffers (compact values, operand copies) held now; flat over steps unless something leaks. */
  held: number;
}

export class SparseKernels {
  readonly counts: SparseCounts = { layouts: 0, products: 0, sampled: 0, adam: 0, materialized: 0, held: 0 };
  /** Per handle: its layout when it is a 0/1 mask below the crossover, null when it is not. */
  private readonly masks = new Map<Handle, MaskLayout | null>();
  /** Live masks below the sampled-product crossover, per shape "rows x cols": weight gradients of these shapes are deferred. */
  private readonly liveShapes = new Map<string, number>();
  private readonly compact = new Map<Handle, Compact>();
  private readonly products = new Map<Handle, Product>();
  /** Handles whose dense values are not yet written, with the function that writes them. */
  private readonly pending = new Map<Handle, () => void>();
  /** Handles checked to be zero outside a layout. */
  private readonly zeroOutside = new Map<Handle, MaskLayout>();
  /** Compact values and operand copies: not tensor handles, so not counted in liveHandles(). */
  private readonly internal = new BufferPool();

  constructor(
    private readonly addon: NativeAddon,
    private readonly pool: BufferPool,
    private readonly crossover: Crossover = CROSSOVER,
  ) {}

  /** Write the dense values of a deferred handle (before any dense kernel or read uses it). */
  materialize(handle: Handle): void {
    if (this.pending.size === 0) return;
    const fill = this.pending.get(handle);
    if (!fill) return;
    this.pending.delete(handle);
    this.counts.materialized++;
    fill();
  }

  /** Drop everything known about a handle that is being disposed (its buffer will be recycled). */
  forget(handle: Handle): void {
    this.pending.delete(handle);
    this.zeroOutside.delete(handle);
    const layout = this.masks.get(handle);
    if (layout !== undefined) {
      this.masks.delete(handle);
      if (layout && layout.density < this.crossover.sampled) {
        const key = shapeKey(layout.rows, layout.cols);
        const left = this.liveShapes.get(key)! - 1;
        if (left === 0) this.liveShapes.delete(key);
        else this.liveShapes.set(key, left);
      }
    }
    const c = this.compact.get(handle);
    if (c) {
      this.compact.delete(handle);
      this.internal.release(c.vals);
    }
    const p = this.products.get(handle);
    if (p) {
      this.products.delete(handle);
      p.release();
    }
  }

  /** The sparse layout of a mask handle, or undefined (not a mask, too small, or above the crossover). */
  layoutOf(info: Info): MaskLayout | undefined {
    const h = info.handle;
    const known = this.masks.get(h);
    if (known !== undefined) return known ?? undefined;
    let layout: MaskLayout | null = null;
    if (info.dtype === 'float32' && info.shape.length === 2 && h.length >= this.crossover.minSize && !this.pending.has(h)) {
      const values = h as Float32Array;
      const density = zeroOneDensity(values);
      // The same test as the layout's own density (nnz / size), made before the layout is built.
      if (density !== undefined && density < this.crossover.product) layout = maskLayout(values, info.shape[0]!, info.shape[1]!);
    }
    this.masks.set(h, layout);
    if (layout) this.counts.layouts++;
    if (layout && layout.density < this.crossover.sampled) {
      const key = shapeKey(layout.rows, layout.cols);
      this.liveShapes.set(key, (this.liveShapes.get(key) ?? 0) + 1);
    }
    return layout ?? undefined;
  }

  /** mul(X, M) or mul(M, X) with M a sparse mask: a compact result, or undefined for the dense kernel. */
  mul(a: Info, b: Info, out: OutputSpec): Float32Array | undefined {
    if (out.shape.length !== 2 || !sameShape(a.shape, out.shape) || !sameShape(b.shape, out.shape)) return undefined;
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || sizeOf(out.shape) < this.crossover.minSize) return undefined;
    let layout = this.layoutOf(b);
    let other = a.handle as Float32Array;
    if (!layout) {
      layout = this.layoutOf(a);
      other = b.handle as Float32Array;
    }
    if (!layout) return undefined;
    const vals = this.internal.float32(layout.nnz);
    const known = this.compact.get(other);
    const product = this.products.get(other);
    if (known?.layout === layout) {
      vals.set(known.vals);
    } else if (product && product.rows === layout.rows && product.cols === layout.cols && layout.density < this.crossover.sampled) {
      this.counts.sampled++;
      if (product.lanes) {
        const lists = blockedLists(layout, 'csr');
        this.addon.sampledLanes(product.a, product.b, product.m, product.rows, product.cols, lists.ptr, lists.idx, lists.at, lists.blocks, vals);
      } else {
        this.addon.sampledProduct(product.a, product.b, product.m, product.rows, product.cols, layout.rowPtr, layout.colIdx, vals);
      }
    } else {
      this.materialize(other);
      this.addon.gatherAt(other, layout.flat, vals);
    }
    return this.deferCompact(this.pool.float32(sizeOf(out.shape)), { layout, vals });
  }

  /** A matrix product with a compact right operand, or a deferred weight gradient; undefined for sgemm. */
  matmul(a: Info, b: Info, transposeA: boolean, transposeB: boolean, out: OutputSpec): Float32Array | undefined {
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length !== 2 || b.shape.length !== 2) return undefined;
    const [m, n] = [out.shape[0]!, out.shape[1]!];
    const c = this.compact.get(b.handle);
    if (c && !transposeA) {
      const x = a.handle as Float32Array;
      this.materialize(x);
      const result = this.pool.float32(m * n);
      this.product(c, transposeB ? 'csr' : 'csc', x, m, false, result);
      return result;
    }
    if (transposeA && !transposeB && this.liveShapes.has(shapeKey(m, n))) {
      const batch = a.shape[0]!;
      const [x, g] = [a.handle as Float32Array, b.handle as Float32Array];
      this.materialize(x);
      this.materialize(g);
      const [a2, b2] = [this.copy(x), this.copy(g)];
      return this.deferProduct({ a: a2, b: b2, m: batch, rows: m, cols: n, lanes: false, release: () => this.releaseInternal(a2, b2) });
    }
    return undefined;
  }

  /**
   * x @ E ('csc': x [m, rows], out [m, cols]) or g @ E^T ('csr': g [m, cols], out [m, rows]) for E in compact
   * form; with `lanes`, src and out are in the lane layout and m is the lane count, and an epilogue may follow
   * on each finished sum (lane layout only): relu, or the relu gradient by `gate` (addon.ts, sparseLanes).
   */
  product(
    c: Compact, order: 'csc' | 'csr', src: Float32Array, m: number, lanes: boolean, out: Float32Array,
    epilogue: { relu: true } | { gate: Float32Array } | undefined = undefined,
  ): void {
    const L = c.layout;
    const lists = blockedLists(L, order);
    const inner = order === 'csc' ? L.rows : L.cols;
    this.counts.products++;
    if (lanes && epilogue) {
      const [code, gate] = 'gate' in epilogue ? [EPILOGUES.reluGrad, epilogue.gate] : [EPILOGUES.relu, undefined];
      this.addon.sparseLanes(src, m, inner, c.vals, lists.ptr, lists.idx, lists.at, lists.groups, lists.blocks, out, code, gate);
    } else if (lanes) this.addon.sparseLanes(src, m, inner, c.vals, lists.ptr, lists.idx, lists.at, lists.groups, lists.blocks, out);
    else this.addon.sparseProduct(src, m, inner, c.vals, lists.ptr, lists.idx, lists.at, lists.groups, lists.blocks, out);
  }

  /** The compact form of a handle, if it has one. */
  compactOf(handle: Handle): Compact | undefined {
    return this.compact.get(handle);
  }

  /**
   * hT gT^T for hT [rows, lanes], gT [cols, lanes] in the lane layout, deferred like matmul(h, g, transposeA)
   * when a live mask below the sampled crossover has its shape; undefined otherwise (the caller runs sgemm).
   * A deferred product takes the operands over (the caller must not write or release them) and calls
   * `release` when its handle is disposed.
   */
  laneProduct(hT: Float32Array, gT: Float32Array, lanes: number, rows: number, cols: number, release: () => void): Float32Array | undefined {
    if (!this.defersProduct(rows, cols)) return undefined;
    return this.deferProduct({ a: hT, b: gT, m: lanes, rows, cols, lanes: true, release });
  }

  private releaseInternal(...buffers: Float32Array[]): void {
    for (const b of buffers) this.internal.release(b);
  }

  /** Whether a weight gradient [rows, cols] is deferred (a live mask of that shape is below the sampled crossover). */
  defersProduct(rows: number, cols: number): boolean {
    return this.liveShapes.has(shapeKey(rows, cols));
  }

  private deferProduct(p: Product): Float32Array {
    const result = this.pool.float32(p.rows * p.cols);
    this.products.set(result, p);
    this.pending.set(result, () => {
      if (p.lanes) this.addon.matmul(p.a, p.b, result, p.rows, p.cols, p.m, 0, 1);
      else this.addon.matmul(p.a, p.b, result, p.rows, p.cols, p.m, 1, 0);
    });
    return result;
  }

  /** Adam on the kept positions, or undefined when the gradient is not compact or a moment is not zero outside. */
  adam([w, g, m, v]: readonly Info[], attrs: CustomOps<unknown>['adam']['attrs']): Float32Array[] | undefined {
    const grad = this.compact.get(g!.handle);
    if (!grad) return undefined;
    const { layout } = grad;
    const mVals = this.compactIn(m!.handle as Float32Array, layout);
    const vVals = mVals && this.compactIn(v!.handle as Float32Array, layout);
    if (!mVals || !vVals) {
      if (mVals?.owned) this.internal.release(mVals.vals);
      return undefined;
    }
    const weights = w!.handle as Float32Array;
    let wVals: Float32Array;
    let background: Float32Array;
    let ownedW = false;
    const known = this.compact.get(weights);
    if (known?.layout === layout && known.background) {
      wVals = known.vals;
      background = known.background;
    } else {
      this.materialize(weights);
      background = weights.slice();
      wVals = this.internal.float32(layout.nnz);
      this.addon.gatherAt(weights, layout.flat, wVals);
      ownedW = true;
    }
    const size = weights.length;
    const [wNext, mNext, vNext] = [this.internal.float32(layout.nnz), this.internal.float32(layout.nnz), this.internal.float32(layout.nnz)];
    this.counts.adam++;
    this.addon.adam(wVals, grad.vals, mVals.vals, vVals.vals, wNext, mNext, vNext, attrs.learningRate, attrs.beta1, attrs.beta2, attrs.epsilon);
    for (const [owned, vals] of [[ownedW, wVals], [mVals.owned, mVals.vals], [vVals.owned, vVals.vals]] as const) {
      if (owned) this.internal.release(vals);
    }
    return [
      this.deferCompact(this.pool.float32(size), { layout, vals: wNext, background }),
      this.deferCompact(this.pool.float32(size), { layout, vals: mNext }),
      this.deferCompact(this.pool.float32(size), { layout, vals: vNext }),
    ];
  }

  /** A handle's values at the layout's positions when it is zero elsewhere (checked once per handle). */
  private compactIn(handle: Float32Array, layout: MaskLayout): { vals: Float32Array; owned: boolean } | undefined {
    const known = this.compact.get(handle);
    if (known?.layout === layout) return { vals: known.vals, owned: false };
    this.materialize(handle);
    if (this.zeroOutside.get(handle) !== layout) {
      if (!zeroOutside(handle, layout)) return undefined;
      this.zeroOutside.set(handle, layout);
    }
    const vals = this.internal.float32(layout.nnz);
    this.addon.gatherAt(handle, layout.flat, vals);
    return { vals, owned: true };
  }

  private deferCompact(result: Float32Array, c: Compact): Float32Array {
    this.compact.set(result, c);
    this.pending.set(result, () => this.addon.scatterAt(c.vals, c.layout.flat, result, c.background ?? null));
    return result;
  }

  private copy(x: Float32Array): Float32Array {
    const y = this.internal.float32(x.length);
    y.set(x);
    return y;
  }

  /** The counts, with the internal buffers held now. */
  snapshot(): SparseCounts {
    return { ...this.counts, held: this.internal.liveCount() };
  }

  /** Internal buffers and caches (close()). */
  clear(): void {
    this.masks.clear();
    this.liveShapes.clear();
    this.compact.clear();
    this.products.clear();
    this.pending.clear();
    this.zeroOutside.clear();
    this.internal.clear();
  }
}

const shapeKey = (rows: number, cols: number): string => `${rows}x${cols}`;

/** True when every value outside the layout's kept positions is zero. */
function zeroOutside(values: Float32Array, layout: MaskLayout): boolean {
  let p = 0;
  const { flat, nnz } = layout;
  for (let i = 0; i < values.length; i++) {
    if (p < nnz && flat[p] === i) {
      p++;
      continue;
    }
    if (values[i] !== 0) return false;
  }
  return true;
}
