/**
 * The tfjs adapter's caches of tfjs tensors. The invariants all three keep (test/backends/tfjs-caches.test.ts):
 * 1. A cached tensor is disposed exactly once: when nothing can ask for it any more (its source or an operand
 *    was disposed, it was evicted, or the cache was cleared) and no handle the cache gave out still uses it.
 * 2. The core disposes each handle exactly once, and the adapter tells every cache (drop / release), so no entry
 *    outlives the tensor it was made from.
 * 3. What a cache returns is the value it stands for: tensors are immutable, so a value keyed by the identity
 *    of its sources never goes stale.
 * 4. `size` / `idle` count the tensors alive only because a cache holds them, for the adapter's leak accounting.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';

/**
 * Rank-0 float32 constants by value. The core lifts every number operand to a scalar tensor (ops.ts `lift`),
 * so a training step uploads the same few scalars (0, 1, 0.5, beta1, ...) hundreds of times; on tfjs each
 * upload is a tensor allocation and a heap copy. A cached tensor is shared by every handle that asked for its
 * value and reference-counted: the cache holds one reference, each live handle one more, and the tensor is
 * disposed when the count reaches zero (after an LRU eviction, or close()).
 */
export class ScalarCache {
  private readonly byValue = new Map<number, TfTensor>();
  private readonly refs = new Map<TfTensor, number>();
  private readonly values = new Map<TfTensor, number>();

  constructor(private readonly make: (value: number) => TfTensor, private readonly capacity = 64) {}

  /** A shared rank-0 tensor holding `value`; release it with release(). */
  acquire(value: number): TfTensor {
    let t = this.byValue.get(value);
    if (t) {
      this.byValue.delete(value); // re-insert: most recently used last
      this.byValue.set(value, t);
      this.refs.set(t, this.refs.get(t)! + 1);
      return t;
    }
    t = this.make(value);
    this.byValue.set(value, t);
    this.values.set(t, value);
    this.refs.set(t, 2);
    if (this.byValue.size > this.capacity) {
      const [oldValue, oldest] = this.byValue.entries().next().value!;
      this.byValue.delete(oldValue);
      this.release(oldest);
    }
    return t;
  }

  /** The value of a tensor this cache made, or undefined for any other tensor. */
  valueOf(t: TfTensor): number | undefined {
    return this.values.get(t);
  }

  /** Whether `t` is one of this cache's shared tensors (then release() it instead of disposing it). */
  owns(t: TfTensor): boolean {
    return this.refs.has(t);
  }

  release(t: TfTensor): void {
    const n = this.refs.get(t)! - 1;
    if (n > 0) {
      this.refs.set(t, n);
      return;
    }
    this.refs.delete(t);
    this.values.delete(t);
    t.dispose();
  }

  /** Tensors alive only because the cache holds them (for leak accounting). */
  get idle(): number {
    let n = 0;
    for (const t of this.byValue.values()) if (this.refs.get(t) === 1) n++;
    return n;
  }

  clear(): void {
    for (const t of [...this.byValue.values()]) this.release(t);
    this.byValue.clear();
  }
}

/**
 * Explicit transposes of matmul operands, kept while their source handle lives (a Map rather than a WeakMap so
 * that close() can free them; every handle is disposed exactly once by the core, which drops its entry). The
 * heap's SIMD products need B in rows (simd/matmul.ts): a weight's transpose serves every input gradient of a
 * step. On the tfjs kernel path a matmul with transposeA/transposeB leaves XNNPACK for a loop about 15x slower,
 * so the adapter transposes explicitly; and XNNPACK packs the right operand once per tensor, so reusing the
 * same transposed tensor (a weight's transpose across the 10 iterations of PGD) also reuses its packing.
 */
export class TransposeCache {
  private readonly transposes = new Map<TfTensor, TfTensor>();

  constructor(private readonly make: (x: TfTensor) => TfTensor) {}

  get(x: TfTensor): TfTensor {
    let t = this.transposes.get(x);
    if (!t) {
      t = this.make(x);
      this.transposes.set(x, t);
    }
    return t;
  }

  has(x: TfTensor): boolean {
    return this.transposes.has(x);
  }

  /** Called when `x` is disposed. */
  drop(x: TfTensor): void {
    const t = this.transposes.get(x);
    if (!t) return;
    this.transposes.delete(x);
    t.dispose();
  }

  get size(): number {
    return this.transposes.size;
  }

  clear(): void {
    for (const t of this.transposes.values()) t.dispose();
    this.transposes.clear();
  }
}

/**
 * The last few matrix products, by operand identity, kept while both operands live. Tensors are immutable, so
 * a product asked for again is the product already made: an adversarial training step's clean forward pass
 * repeats the product of its inputs and weights that the attack made to predict its labels, and evaluation
 * repeats it for the attack on the same batch. `share` returns a new handle to a tensor's data without copying
 * it (tfjs' Reshape to the same shape).
 */
export class ProductCache {
  private entries: { a: TfTensor; b: TfTensor; key: number; product: TfTensor }[] = [];

  constructor(private readonly share: (x: TfTensor) => TfTensor, private readonly capacity = 4) {}

  /** A new handle to the cached op(a) @ op(b), if there is one. */
  get(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean): TfTensor | undefined {
    const key = ProductCache.key(transposeA, transposeB);
    const hit = this.entries.find((e) => e.a === a && e.b === b && e.key === key);
    return hit && this.share(hit.product);
  }

  /** Remember `product` = op(a) @ op(b) (the cache takes a handle of its own). */
  put(a: TfTensor, b: TfTensor, transposeA: boolean, transposeB: boolean, product: TfTensor): void {
    this.entries.push({ a, b, key: ProductCache.key(transposeA, transposeB), product: this.share(product) });
    if (this.entries.length > this.capacity) this.entries.shift()!.product.dispose();
  }

  /** Called when `x` is disposed: products of x can no longer be asked for. */
  drop(x: TfTensor): void {
    if (!this.entries.some((e) => e.a === x || e.b === x)) return;
    this.entries = this.entries.filter((e) => {
      const keep = e.a !== x && e.b !== x;
      if (!keep) e.product.dispose();
      return keep;
    });
  }

  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    for (const e of this.entries) e.product.dispose();
    this.entries = [];
  }

  private static key(transposeA: boolean, transposeB: boolean): number {
    return Number(transposeA) * 2 + Number(transposeB);
  }
}
