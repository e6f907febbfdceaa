import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchSampler, gather } from '../../core/data/batches.js';
import { splitValidation, type Split } from '../../core/data/datasets.js';
import { ConfigError } from '../../core/errors.js';
import { Rng } from '../../core/nn/rng.js';

/** A split whose image i is filled with the value i and whose label is i % 10 (size values per image). */
function numbered(count: number, size = 4): Split {
  const images = new Float32Array(count * size);
  for (let i = 0; i < count; i++) images.fill(i, i * size, (i + 1) * size);
  return { images, labels: Int32Array.from({ length: count }, (_, i) => i % 10), count };
}

const draw = (sampler: BatchSampler, n: number): number[][] => Array.from({ length: n }, () => Array.from(sampler.next()));

describe('splitValidation', () => {
  it('takes the FIRST validSize examples in file order as validation, the rest as training', () => {
    const { train, valid } = splitValidation(numbered(10), 3);
    expect(valid!.count).toBe(3);
    expect(Array.from(valid!.labels)).toEqual([0, 1, 2]);
    expect(Array.from(valid!.images.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(valid!.images[valid!.images.length - 1]).toBe(2);
    expect(train.count).toBe(7);
    expect(train.images.length).toBe(28);
    expect(Array.from(train.labels)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(train.images[0]).toBe(3);
  });

  it('0 means no validation set; out-of-range sizes are configuration errors', () => {
    const all = numbered(5);
    const none = splitValidation(all, 0);
    expect(none.valid).toBeNull();
    expect(none.train.count).toBe(5);
    expect(splitValidation(all, 4).train.count).toBe(1);
    for (const bad of [5, 6, -1, 1.5, Number.NaN]) {
      expect(() => splitValidation(all, bad)).toThrow(ConfigError);
    }
    expect(() => splitValidation(all, 5)).toThrow(/at least one training image/);
  });
});

describe('BatchSampler', () => {
  it('50000 / 60: 833 full batches then one of 20, every index exactly once per epoch, for two epochs', () => {
    const sampler = new BatchSampler(50_000, 60, new Rng(0));
    expect(sampler.batchesPerEpoch).toBe(834);
    for (let epoch = 0; epoch < 2; epoch++) {
      const seen = new Uint8Array(50_000);
      for (let b = 0; b < 834; b++) {
        expect(sampler.epoch).toBe(epoch);
        const batch = sampler.next();
        expect(batch.length).toBe(b < 833 ? 60 : 20);
        for (const i of batch) seen[i]!++;
      }
      expect(seen.every((c) => c === 1)).toBe(true);
    }
    expect(sampler.step).toBe(2 * 834);
    expect(sampler.epoch).toBe(2);
  });

  it('covers every index once per epoch, for any count and batch size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 70 }), fc.integer(), (count, batchSize, seed) => {
        const sampler = new BatchSampler(count, batchSize, new Rng(seed));
        const per = Math.ceil(count / batchSize);
        for (let epoch = 0; epoch < 3; epoch++) {
          const indices = draw(sampler, per).flat();
          expect(indices.sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
        }
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('reshuffles each epoch; same seed gives the same batches, another seed different ones', () => {
    const a = draw(new BatchSampler(100, 10, new Rng(5)), 20);
    const b = draw(new BatchSampler(100, 10, new Rng(5)), 20);
    const c = draw(new BatchSampler(100, 10, new Rng(6)), 20);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.slice(0, 10).flat()).not.toEqual(a.slice(10, 20).flat());
    expect(a.slice(0, 10).flat()).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('resuming at any step gives exactly the batches of an uninterrupted run', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer(),
        fc.integer({ min: 0, max: 30 }),
        (count, batchSize, seed, start) => {
          const full = draw(new BatchSampler(count, batchSize, new Rng(seed)), start + 10);
          const resumed = new BatchSampler(count, batchSize, new Rng(seed), start);
          expect(resumed.step).toBe(start);
          expect(resumed.epoch).toBe(Math.floor(start / Math.ceil(count / batchSize)));
          expect(draw(resumed, 10)).toEqual(full.slice(start));
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it('rejects invalid sizes', () => {
    expect(() => new BatchSampler(0, 60, new Rng(0))).toThrow(ConfigError);
    expect(() => new BatchSampler(10, 0, new Rng(0))).toThrow(ConfigError);
    expect(() => new BatchSampler(10, 2, new Rng(0), -1)).toThrow(ConfigError);
  });
});

describe('gather', () => {
  it('copies the images and labels at the given indices, in order', () => {
    const split = numbered(12, 3);
    const batch = gather(split, Int32Array.from([11, 0, 5, 5]));
    expect(Array.from(batch.images)).toEqual([11, 11, 11, 0, 0, 0, 5, 5, 5, 5, 5, 5]);
    expect(Array.from(batch.labels)).toEqual([1, 0, 5, 5]);
    batch.images[0] = -1;
    expect(split.images[33]).toBe(11);
    expect(() => gather(split, [12])).toThrow(ConfigError);
  });

  it('works on a validation-split view', () => {
    const { train } = splitValidation(numbered(10, 2), 4);
    expect(Array.from(gather(train, [0, 5]).images)).toEqual([4, 4, 9, 9]);
  });
});
