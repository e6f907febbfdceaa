import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIdxImages, parseIdxLabels, readIdxImages, readIdxLabels } from '../../core/data/idx.js';
import { DataError } from '../../core/errors.js';
import { gzip, idxImages, idxLabels } from './support.js';

const FILE = '/somewhere/train-images-idx3-ubyte';
const dir = mkdtempSync(join(tmpdir(), 'rsn-idx-'));

const imagesArb = fc
  .record({ count: fc.integer({ min: 0, max: 5 }), rows: fc.integer({ min: 1, max: 6 }), cols: fc.integer({ min: 1, max: 6 }) })
  .chain(({ count, rows, cols }) =>
    fc.uint8Array({ minLength: count * rows * cols, maxLength: count * rows * cols }).map((pixels) => ({ count, rows, cols, pixels })),
  );

function expectDataError(f: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(DataError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe('IDX reader', () => {
  it('round-trips generated images and labels, raw and gzipped, from disk', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(imagesArb, fc.boolean(), async ({ count, rows, cols, pixels }, zipped) => {
        const labels = pixels.subarray(0, count);
        const imagesPath = join(dir, `images-${++n}`);
        const labelsPath = join(dir, `labels-${n}`);
        writeFileSync(imagesPath, zipped ? gzip(idxImages(count, rows, cols, pixels)) : idxImages(count, rows, cols, pixels));
        writeFileSync(labelsPath, zipped ? gzip(idxLabels(labels)) : idxLabels(labels));
        const images = await readIdxImages(imagesPath);
        expect({ count: images.count, rows: images.rows, cols: images.cols }).toEqual({ count, rows, cols });
        expect(Array.from(images.pixels)).toEqual(Array.from(pixels));
        const read = await readIdxLabels(labelsPath);
        expect(read.count).toBe(count);
        expect(Array.from(read.labels)).toEqual(Array.from(labels));
      }),
      { seed: 42, numRuns: 40 },
    );
  });

  it('rejects files truncated at any length, naming the file', () => {
    fc.assert(
      fc.property(imagesArb, fc.nat(), ({ count, rows, cols, pixels }, cut) => {
        const bytes = idxImages(count, rows, cols, pixels);
        const length = cut % bytes.length;
        expectDataError(() => parseIdxImages(bytes.subarray(0, length), FILE), FILE);
        const labels = idxLabels(pixels.subarray(0, count));
        expectDataError(() => parseIdxLabels(labels.subarray(0, cut % labels.length), 'labels.idx'), 'labels.idx');
      }),
      { seed: 42, numRuns: 200 },
    );
  });

  it('rejects over-long files (trailing bytes), naming the file', () => {
    fc.assert(
      fc.property(imagesArb, fc.uint8Array({ minLength: 1, maxLength: 50 }), ({ count, rows, cols, pixels }, extra) => {
        const bytes = new Uint8Array([...idxImages(count, rows, cols, pixels), ...extra]);
        expectDataError(() => parseIdxImages(bytes, FILE), FILE, 'trailing');
      }),
      { seed: 42, numRuns: 100 },
    );
  });

  it('rejects wrong magic numbers: swapped files, other dtypes, other dimensions, not IDX at all', () => {
    const images = idxImages(2, 3, 3, new Uint8Array(18));
    const labels = idxLabels(new Uint8Array([1, 2]));
    expectDataError(() => parseIdxImages(labels, FILE), FILE, 'magic 0x00000801', 'expected 0x00000803');
    expectDataError(() => parseIdxLabels(images, 'labels.idx'), 'labels.idx', 'magic 0x00000803', 'expected 0x00000801');
    const float = images.slice();
    float[2] = 0x0d;
    expectDataError(() => parseIdxImages(float, FILE), FILE, 'dtype 0xd');
    const text = new TextEncoder().encode('<html>404 not found</html>');
    expectDataError(() => parseIdxImages(text, FILE), FILE, 'not an IDX file');
  });

  it('rejects headers whose dimensions disagree with the data, and empty images', () => {
    const bytes = idxImages(2, 3, 3, new Uint8Array(18));
    const bigger = bytes.slice();
    new DataView(bigger.buffer).setUint32(4, 3);
    expectDataError(() => parseIdxImages(bigger, FILE), FILE, 'truncated', '3 x 3 x 3');
    const smaller = bytes.slice();
    new DataView(smaller.buffer).setUint32(8, 1);
    expectDataError(() => parseIdxImages(smaller, FILE), FILE, 'trailing');
    expectDataError(() => parseIdxImages(idxImages(0, 0, 28, new Uint8Array(0)), FILE), FILE, '0 x 28');
  });

  it('rejects corrupt gzip files, naming the file', async () => {
    const zipped = gzip(idxLabels(new Uint8Array(1000)));
    const path = join(dir, 'corrupt.gz');
    writeFileSync(path, zipped.subarray(0, zipped.length - 10));
    await expect(readIdxLabels(path)).rejects.toThrow(DataError);
    await expect(readIdxLabels(path)).rejects.toThrow(path);
  });

  it('names a missing file', async () => {
    await expect(readIdxLabels(join(dir, 'absent'))).rejects.toThrow(/cannot read .*absent/);
  });
});
