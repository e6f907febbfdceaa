/**
 * The invariants of the tfjs adapter's caches (backends/tfjs/caches.ts), on stand-in tensors that count their
 * disposals: every tensor a cache makes is disposed exactly once, at the moment nothing can use it any more.
 */
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ProductCache, ScalarCache, TransposeCache } from '../../backends/tfjs/caches.js';

interface Fake {
  readonly id: string;
  disposed: number;
  dispose(): void;
}

const made: Fake[] = [];
function fake(id: string): TfTensor {
  const t: Fake = { id, disposed: 0, dispose() { this.disposed++; } };
  made.push(t);
  return t as unknown as TfTensor;
}
const disposals = (t: TfTensor) => (t as unknown as Fake).disposed;

describe('ScalarCache', () => {
  it('shares one tensor per value and disposes it once, after the cache and every handle let go', () => {
    const cache = new ScalarCache((v) => fake(`scalar ${v}`));
    const a = cache.acquire(0.5);
    const b = cache.acquire(0.5);
    expect(a).toBe(b);
    expect(cache.owns(a)).toBe(true);
    expect(cache.valueOf(a)).toBe(0.5);
    expect(cache.idle).toBe(0);
    cache.release(a);
    cache.release(b);
    expect(cache.idle).toBe(1);
    expect(disposals(a)).toBe(0);
    cache.clear();
    expect(disposals(a)).toBe(1);
    expect(cache.owns(a)).toBe(false);
  });

  it('evicts the least recently used value; an evicted tensor in use lives until its last handle is released', () => {
    const cache = new ScalarCache((v) => fake(`scalar ${v}`), 2);
    const one = cache.acquire(1);
    const oldTwo = cache.acquire(2);
    expect(cache.acquire(1)).toBe(one); // 1 is now the most recently used
    const three = cache.acquire(3); // evicts 2, still held by oldTwo's handle
    expect(disposals(oldTwo)).toBe(0);
    expect(cache.owns(oldTwo)).toBe(true);
    const two = cache.acquire(2); // a new tensor: the old one was evicted
    expect(two).not.toBe(oldTwo);
    cache.release(oldTwo); // its last holder: now it goes
    expect(disposals(oldTwo)).toBe(1);
    cache.release(three);
    cache.release(two);
    cache.clear(); // two and three had no other holder; one is still held twice
    expect([two, three].map(disposals)).toEqual([1, 1]);
    expect(disposals(one)).toBe(0);
    cache.release(one);
    expect(disposals(one)).toBe(0);
    cache.release(one);
    expect(disposals(one)).toBe(1);
  });
});

describe('TransposeCache', () => {
  it('makes a transpose once per source and disposes it when the source is dropped', () => {
    let makes = 0;
    const cache = new TransposeCache((x) => (makes++, fake(`T(${(x as unknown as Fake).id})`)));
    const w = fake('w');
    const t = cache.get(w);
    expect(cache.get(w)).toBe(t);
    expect(makes).toBe(1);
    expect(cache.has(w)).toBe(true);
    expect(cache.size).toBe(1);
    cache.drop(w);
    expect(disposals(t)).toBe(1);
    expect(cache.has(w)).toBe(false);
    cache.drop(w);
    expect(disposals(t)).toBe(1);
  });

  it('clear() disposes every transpose once', () => {
    const cache = new TransposeCache((x) => fake(`T(${(x as unknown as Fake).id})`));
    const ts = [fake('a'), fake('b')].map((x) => cache.get(x));
    cache.clear();
    cache.clear();
    expect(ts.map(disposals)).toEqual([1, 1]);
    expect(cache.size).toBe(0);
  });
});

describe('ProductCache', () => {
  const share = (x: TfTensor) => fake(`share(${(x as unknown as Fake).id})`);

  it('returns a new handle to a product asked for again with the same operands and flags only', () => {
    const cache = new ProductCache(share);
    const [a, b, c] = [fake('a'), fake('b'), fake('c')];
    cache.put(a, b, false, false, fake('ab'));
    const hit = cache.get(a, b, false, false);
    expect(hit).toBeDefined();
    expect(cache.get(a, b, false, false)).not.toBe(hit); // each get is a handle of its own
    expect(cache.get(a, b, true, false)).toBeUndefined();
    expect(cache.get(a, c, false, false)).toBeUndefined();
    expect(cache.get(b, a, false, false)).toBeUndefined();
  });

  it('disposes its own handle when an operand is dropped, when evicted, and on clear, once each', () => {
    const cache = new ProductCache(share, 2);
    const [a, b, c, d] = [fake('a'), fake('b'), fake('c'), fake('d')];
    cache.put(a, b, false, false, fake('ab'));
    cache.put(c, d, false, false, fake('cd'));
    const held = () => made.filter((t) => t.id.startsWith('share(')).slice(-3);
    cache.put(a, d, false, true, fake('ad')); // evicts (a, b)
    const [ab, cd, ad] = held() as unknown as TfTensor[];
    expect(disposals(ab!)).toBe(1);
    expect(cache.get(a, b, false, false)).toBeUndefined();
    cache.drop(c);
    expect(disposals(cd!)).toBe(1);
    expect(cache.size).toBe(1);
    cache.clear();
    cache.clear();
    expect(disposals(ad!)).toBe(1);
    expect(cache.size).toBe(0);
  });
});
