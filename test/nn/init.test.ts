/**
 * Glorot initialisers (core/nn/init.ts) and the seeded generator (core/nn/rng.ts): ranges, moments within
 * stated statistical tolerances (5 standard errors of the estimate), determinism per seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { glorotNormal, glorotUniform, initialise } from '../../core/nn/init.js';
import { Rng } from '../../core/nn/rng.js';
import { ConfigError } from '../../core/errors.js';

const moments = (x: ArrayLike<number>) => {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]!;
  const mean = sum / x.length;
  for (let i = 0; i < x.length; i++) sq += (x[i]! - mean) ** 2;
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) maxAbs = Math.max(maxAbs, Math.abs(x[i]!));
  return { mean, variance: sq / (x.length - 1), maxAbs };
};

const [FAN_IN, FAN_OUT] = [784, 300];
const N = FAN_IN * FAN_OUT;

describe('glorot_uniform', () => {
  const a = Math.sqrt(6 / (FAN_IN + FAN_OUT));
  const w = glorotUniform(new Rng(11), FAN_IN, FAN_OUT);

  it('draws fan_in * fan_out values within +-sqrt(6 / (fan_in + fan_out)), reaching close to the limit', () => {
    const { maxAbs } = moments(w);
    expect(w).toBeInstanceOf(Float32Array);
    expect(w.length).toBe(N);
    expect(maxAbs).toBeLessThanOrEqual(Math.fround(a));
    expect(maxAbs).toBeGreaterThan(0.999 * a);
  });

  it('mean ~ 0 and variance ~ a^2 / 3 (within 5 standard errors)', () => {
    const { mean, variance } = moments(w);
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(a ** 2 / 3 / N));
    // Var(X^2) = E X^4 - (E X^2)^2 = a^4/5 - a^4/9 for U(-a, a).
    expect(Math.abs(variance - a ** 2 / 3)).toBeLessThan(5 * Math.sqrt((4 * a ** 4) / 45 / N));
  });

  it('is symmetric: about half the values are negative', () => {
    const negatives = w.reduce((n, x) => n + (x < 0 ? 1 : 0), 0);
    expect(Math.abs(negatives / N - 0.5)).toBeLessThan(5 * Math.sqrt(0.25 / N));
  });
});

describe('glorot_normal', () => {
  const target = 2 / (FAN_IN + FAN_OUT);
  const std = Math.sqrt(target) / 0.87962566103423978;
  const w = glorotNormal(new Rng(12), FAN_IN, FAN_OUT);

  it('is truncated at two standard deviations of the underlying normal, and reaches near the cut', () => {
    const { maxAbs } = moments(w);
    expect(maxAbs).toBeLessThanOrEqual(Math.fround(2 * std));
    expect(maxAbs).toBeGreaterThan(1.99 * std);
  });

  it('has variance 2 / (fan_in + fan_out) after truncation, mean ~ 0', () => {
    const { mean, variance } = moments(w);
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(target / N));
    // The truncated normal is platykurtic: Var(X^2) < 2 sigma^4, so 5 standard errors < 5 sqrt(2 / N) relative.
    expect(Math.abs(variance / target - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
  });

  it('has the truncated normal shape: ~2.76% of values lie between 1.8 and 2 std', () => {
    // P(|Z| > 1.8 | |Z| <= 2) = 2 (Phi(2) - Phi(1.8)) / (2 Phi(2) - 1) for a standard normal Z.
    const tail = w.reduce((n, x) => n + (Math.abs(x) > 1.8 * std ? 1 : 0), 0) / N;
    const p = (2 * (0.977249868 - 0.964069681)) / (2 * 0.977249868 - 1);
    expect(Math.abs(tail - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / N));
  });
});

describe('initialise', () => {
  it('same seed gives identical arrays, another seed different ones, for both kinds', () => {
    for (const kind of ['glorot_uniform', 'glorot_normal'] as const) {
      const a = initialise(kind, new Rng(5), 30, 20);
      const b = initialise(kind, new Rng(5), 30, 20);
      const c = initialise(kind, new Rng(6), 30, 20);
      expect(a).toEqual(b);
      expect(a.filter((x, i) => x === c[i]).length).toBeLessThan(3);
    }
  });

  it('rejects an unknown initialiser with a ConfigError', () => {
    expect(() => initialise('he_normal' as never, new Rng(1), 2, 2)).toThrow(ConfigError);
  });
});

describe('Rng', () => {
  const draw = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.next());

  it('same seed, same stream; different seeds, different streams', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 1000 }), (seed, delta) => {
        expect(draw(new Rng(seed), 20)).toEqual(draw(new Rng(seed), 20));
        expect(draw(new Rng(seed), 20)).not.toEqual(draw(new Rng((seed + delta) >>> 0), 20));
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('next() lies in [0, 1) with mean ~ 1/2 and variance ~ 1/12; int(n) in [0, n) hits every value', () => {
    const rng = new Rng(3);
    const x = draw(rng, 100_000);
    expect(x.every((v) => v >= 0 && v < 1)).toBe(true);
    const { mean, variance } = moments(x);
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / x.length));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / x.length));
    const counts = new Array<number>(7).fill(0);
    for (let i = 0; i < 7000; i++) counts[rng.int(7)]!++;
    counts.forEach((c) => expect(Math.abs(c - 1000)).toBeLessThan(5 * Math.sqrt(1000)));
  });

  it('normal() has mean ~ 0 and variance ~ 1', () => {
    const rng = new Rng(4);
    const z = Array.from({ length: 100_000 }, () => rng.normal());
    const { mean, variance } = moments(z);
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(1 / z.length));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / z.length));
  });

  it('derive() is deterministic and gives streams independent of each other and of the parent', () => {
    const parent = new Rng(42);
    expect(draw(parent.derive(1, 2), 10)).toEqual(draw(new Rng(42).derive(1, 2), 10));
    const streams = [draw(new Rng(42), 20_000), ...[[0], [1], [2], [1, 0], [0, 1], [1, 2]].map((p) => draw(new Rng(42).derive(...p), 20_000))];
    // Pairwise correlations near 0 (5 standard errors of 1/sqrt(n)), and no two streams share a value.
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) {
        const [a, b] = [streams[i]!, streams[j]!];
        const ma = moments(a);
        const mb = moments(b);
        let cov = 0;
        for (let k = 0; k < a.length; k++) cov += (a[k]! - ma.mean) * (b[k]! - mb.mean);
        const corr = cov / (a.length - 1) / Math.sqrt(ma.variance * mb.variance);
        expect(Math.abs(corr), `streams ${i} and ${j}`).toBeLessThan(5 / Math.sqrt(a.length));
        expect(a.slice(0, 100).filter((v, k) => v === b[k]).length).toBe(0);
      }
    }
  });

  it('shuffle is a permutation, seeded, and moves things', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 200 }), (seed, n) => {
        const a = new Rng(seed).shuffle(Int32Array.from({ length: n }, (_, i) => i));
        const b = new Rng(seed).shuffle(Int32Array.from({ length: n }, (_, i) => i));
        expect(a).toEqual(b);
        expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
        if (n >= 20) expect(a.filter((v, i) => v === i).length).toBeLessThan(n / 2);
      }),
      { seed: 1, numRuns: 100 },
    );
  });

  it('shuffle draws every permutation of 3 elements about equally often', () => {
    const rng = new Rng(9);
    const counts = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = rng.shuffle([0, 1, 2]).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(5 * Math.sqrt(1000));
  });
});
