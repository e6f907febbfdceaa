/**
 * Adam and the mask in one pass, for masks the sparse path leaves dense (above its crossover, sparse.ts).
 *
 * A training step (core/nn/train-step.ts) multiplies by the round's 0/1 mask M twice per layer: the effective
 * weights E = W * M, and the weight gradient dE * M before Adam. Here mul(X, M) is deferred (its result's values
 * are written only when something reads them), and Adam given such a product runs one kernel (addon.ts,
 * adamMasked) that multiplies the gradient by M, updates W and its moments, and writes W' * M as well: the next
 * step's mul(W', M) is handed that buffer instead of being computed. Three passes over the weights become one,
 * with the same floats as the composition (the same float32 products in the same order).
 *
 * A deferred product keeps its operands' buffers: an operand disposed first (the core frees dE right after
 * masking it) goes back to the pool only when no deferred product needs it any more.
 */
import type { OutputSpec, TensorInfo } from '../../core/autodiff/backend.js';
import { sameShape, sizeOf } from '../../core/autodiff/shapes.js';
import type { CustomOps } from '../../core/nn/custom-ops.js';
import { BINARY_CODES, type NativeAddon } from './addon.js';
import { isZeroOne } from './layout.js';
import type { BufferPool } from './pool.js';

type Handle = Float32Array | Int32Array;
type Info = TensorInfo<Handle>;

/** Masks smaller than this are multiplied at once (the bookkeeping would cost more than the pass). */
const MIN_SIZE = 1000;

interface Deferred {
  readonly x: Float32Array;
  readonly mask: Float32Array;
}

/** What the fusion did (tests check that a workload took it). */
export interface MaskCounts {
  /** Adam steps fused with their mask. */
  adam: number;
  /** mul(W', M) served by the fused Adam's W' * M. */
  served: number;
  /** Deferred products computed because something read them. */
  materialized: number;
}

export class MaskFusion {
  readonly counts: MaskCounts = { adam: 0, served: 0, materialized: 0 };
  /** Per handle: whether it is a 0/1 matrix (checked once per handle). */
  private readonly masks = new Map<Handle, boolean>();
  private readonly deferred = new Map<Handle, Deferred>();
  /** Per W' of the fused Adam: W' * M for its mask, a spare buffer until mul(W', M) takes it. */
  private readonly made = new Map<Handle, { readonly mask: Handle; readonly product: Float32Array }>();
  /** Operands of deferred products: how many need each, and whether it was disposed meanwhile. */
  private readonly held = new Map<Handle, { count: number; disposed: boolean }>();

  /** `materializeOperand` writes a handle's deferred values of the other paths (lane forms, sparse) before they are read. */
  constructor(
    private readonly addon: NativeAddon,
    private readonly pool: BufferPool,
    private readonly materializeOperand: (handle: Handle) => void,
  ) {}

  private isMask(info: Info): boolean {
    const known = this.masks.get(info.handle);
    if (known !== undefined) return known;
    const mask = info.dtype === 'float32' && !this.deferred.has(info.handle) && isZeroOne(info.handle as Float32Array);
    this.masks.set(info.handle, mask);
    return mask;
  }

  /** mul(X, M) with M a 0/1 mask of X's shape: W' * M from the fused Adam, or a deferred product; else undefined. */
  mul(a: Info, b: Info, out: OutputSpec): Float32Array | undefined {
    if (out.shape.length !== 2 || sizeOf(out.shape) < MIN_SIZE || a.dtype !== 'float32') return undefined;
    if (!sameShape(a.shape, out.shape) || !sameShape(b.shape, out.shape)) return undefined;
    // The operands' values are written now: a lane form or compact form is dropped when its handle is disposed.
    this.materializeOperand(a.handle);
    this.materializeOperand(b.handle);
    if (!this.isMask(b)) return undefined;
    const made = this.made.get(a.handle);
    if (made?.mask === b.handle) {
      this.made.delete(a.handle);
      this.counts.served++;
      return this.pool.enlist(made.product);
    }
    const result = this.pool.float32(sizeOf(out.shape));
    const d = { x: a.handle as Float32Array, mask: b.handle as Float32Array };
    this.deferred.set(result, d);
    this.hold(d.x);
    this.hold(d.mask);
    return result;
  }

  /** Write a deferred product's values (before a kernel or a read uses them). */
  materialize(handle: Handle): void {
    if (this.deferred.size === 0) return;
    const d = this.deferred.get(handle);
    if (!d) return;
    this.materializeOperand(d.x);
    this.addon.binary(BINARY_CODES.mul, d.x, d.mask, handle as Float32Array, 1, 1);
    this.counts.materialized++;
    this.drop(handle, d);
  }

  /** Adam whose gradient is a deferred g * M: one pass (the W' * M it also makes is kept for mul(W', M)). */
  adam([w, g, m, v]: readonly Info[], attrs: CustomOps<unknown>['adam']['attrs']): Float32Array[] | undefined {
    const d = this.deferred.get(g!.handle);
    if (!d) return undefined;
    for (const t of [w!, m!, v!]) {
      this.materializeOperand(t.handle);
      this.materialize(t.handle);
    }
    const n = d.x.length;
    const [wOut, mOut, vOut] = [this.pool.float32(n), this.pool.float32(n), this.pool.float32(n)];
    const product = this.pool.spare(n);
    const { learningRate, beta1, beta2, epsilon } = attrs;
    const f = (t: Info) => t.handle as Float32Array;
    this.addon.adamMasked(f(w!), d.x, d.mask, f(m!), f(v!), wOut, mOut, vOut, product, learningRate, beta1, beta2, epsilon);
    this.made.set(wOut, { mask: d.mask, product });
    this.counts.adam++;
    return [wOut, mOut, vOut];
  }

  /**
   * A handle is being disposed: forget what is known of it. Returns false when its buffer must wait (a deferred
   * product still reads it; it goes back to the pool when that product is done).
   */
  dispose(handle: Handle): boolean {
    this.masks.delete(handle);
    const d = this.deferred.get(handle);
    if (d) this.drop(handle, d);
    for (const [w, made] of this.made) {
      if (w !== handle && made.mask !== handle) continue;
      this.made.delete(w);
      this.pool.returnSpare(made.product);
    }
    const held = this.held.get(handle);
    if (!held) return true;
    held.disposed = true;
    return false;
  }

  private hold(handle: Float32Array): void {
    const held = this.held.get(handle);
    if (held) held.count++;
    else this.held.set(handle, { count: 1, disposed: false });
  }

  private drop(handle: Handle, d: Deferred): void {
    this.deferred.delete(handle);
    for (const operand of [d.x, d.mask]) {
      const held = this.held.get(operand)!;
      if (--held.count > 0) continue;
      this.held.delete(operand);
      if (held.disposed) this.pool.release(operand);
    }
  }

  /** Spare buffers of W' * M kept now, and disposed operands waiting for their deferred products. */
  heldBuffers(): number {
    let waiting = 0;
    for (const h of this.held.values()) if (h.disposed) waiting++;
    return this.made.size + waiting;
  }

  clear(): void {
    this.masks.clear();
    this.deferred.clear();
    this.made.clear();
    this.held.clear();
  }
}
