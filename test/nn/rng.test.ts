/**
 * The seeded generator (core/nn/rng.ts) against an independent oracle: xoshiro128** seeded by SplitMix32,
 * written here in BigInt arithmetic modulo 2^32 straight from the algorithms' definitions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/nn/rng.js';

const M = 0xffffffffn;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;

function oracle(seed: number): () => number {
  let x = BigInt(seed >>> 0);
  const splitmix = () => {
    x = (x + 0x9e3779b9n) & M;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & M;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & M;
    return z ^ (z >> 16n);
  };
  const s = [splitmix(), splitmix(), splitmix(), splitmix()];
  return () => {
    const result = (rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
    const t = (s[1]! << 9n) & M;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    return Number(result);
  };
}

describe('Rng', () => {
  it('draws the xoshiro128** sequence of its SplitMix32-seeded state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (seed) => {
        const [rng, want] = [new Rng(seed), oracle(seed)];
        for (let i = 0; i < 200; i++) expect(rng.nextUint32()).toBe(want());
      }),
      { seed: 20191205, numRuns: 50 },
    );
  });

  it('maps draws to [0, 1) and to [low, high) in float32, in draw order', () => {
    const [rng, want] = [new Rng(7), oracle(7)];
    for (let i = 0; i < 100; i++) expect(rng.next()).toBe(want() / 2 ** 32);
    const values = rng.uniformArray(1000, -0.3, 0.3);
    values.forEach((v) => expect(v).toBe(Math.fround(-0.3 + 0.6 * (want() / 2 ** 32))));
    expect(Math.min(...values)).toBeGreaterThanOrEqual(Math.fround(-0.3));
    expect(Math.max(...values)).toBeLessThanOrEqual(Math.fround(0.3));
    // The state a batch of draws leaves behind continues the sequence.
    for (let i = 0; i < 10; i++) expect(rng.nextUint32()).toBe(want());
  });

  it('repeats itself for a seed, and derives distinct streams', () => {
    const a = new Rng(11).uniformArray(64, 0, 1);
    expect(new Rng(11).uniformArray(64, 0, 1)).toEqual(a);
    expect(new Rng(12).uniformArray(64, 0, 1)).not.toEqual(a);
    expect(new Rng(11).derive(0, 1).uniformArray(64, 0, 1)).not.toEqual(new Rng(11).derive(1, 0).uniformArray(64, 0, 1));
  });
});
