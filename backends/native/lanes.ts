/**
 * Lane forms: a batch matrix [m, cols] held in the lane layout ([cols, lanes(m)], addon.ts) next to, or instead
 * of, its row-major values. The PGD loop alternates the fused input gradient (mlp.ts, which works in lanes) and
 * the PGD step (elementwise, so any layout will do): with lane forms its iterates and gradients never go back to
 * row-major, which saves two transposes of [60, 784] per iteration. A handle whose row-major values are not yet
 * written is materialized (fromLanes) before a dense kernel or a read uses it; every form is dropped when its
 * handle is disposed.
 */
import type { NativeAddon } from './addon.js';
import { BufferPool } from './pool.js';

type Handle = Float32Array | Int32Array;

interface Form {
  readonly buffer: Float32Array;
  readonly m: number;
  readonly cols: number;
  /** Gives the buffer back (to the pool it came from). */
  readonly release: () => void;
}

export class LaneForms {
  private readonly forms = new Map<Handle, Form>();
  private readonly pending = new Set<Handle>();
  /** Lane forms computed from row-major handles: not tensor handles, so not counted in liveHandles(). */
  private readonly internal = new BufferPool();

  constructor(private readonly addon: NativeAddon) {}

  /** The lane form of a row-major [m, cols] handle, computed once and kept until the handle is disposed. */
  of(handle: Float32Array, m: number, cols: number): Float32Array {
    const known = this.forms.get(handle);
    if (known && known.m === m && known.cols === cols) return known.buffer;
    const buffer = this.internal.float32(cols * this.addon.lanes(m));
    this.addon.toLanes(handle, m, cols, buffer);
    this.forms.set(handle, { buffer, m, cols, release: () => this.internal.release(buffer) });
    return buffer;
  }

  /** The lane form of a handle, if it has one of this shape. */
  get(handle: Handle, m: number, cols: number): Float32Array | undefined {
    const known = this.forms.get(handle);
    return known && known.m === m && known.cols === cols ? known.buffer : undefined;
  }

  /**
   * Make `buffer` ([cols, lanes(m)]) the lane form of `handle`, whose row-major values are written from it only
   * when needed; `release` gives the buffer back when the handle is disposed.
   */
  attach(handle: Float32Array, buffer: Float32Array, m: number, cols: number, release: () => void): void {
    this.forms.set(handle, { buffer, m, cols, release });
    this.pending.add(handle);
  }

  /** Write a handle's row-major values from its lane form, if they are not written yet. */
  materialize(handle: Handle): void {
    if (this.pending.size === 0 || !this.pending.delete(handle)) return;
    const form = this.forms.get(handle)!;
    this.addon.fromLanes(form.buffer, form.m, form.cols, handle as Float32Array);
  }

  /** True while a handle's row-major values are not written. */
  isPending(handle: Handle): boolean {
    return this.pending.has(handle);
  }

  forget(handle: Handle): void {
    this.pending.delete(handle);
    const form = this.forms.get(handle);
    if (form) {
      this.forms.delete(handle);
      form.release();
    }
  }

  /** Internal buffers held now (tests check they stay flat). */
  held(): number {
    return this.internal.liveCount();
  }

  clear(): void {
    this.forms.clear();
    this.pending.clear();
    this.internal.clear();
  }
}
