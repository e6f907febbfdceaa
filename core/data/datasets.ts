import { ConfigError, DataError } from '../errors.js';
import { CHECKSUMS, verifyChecksum } from './checksums.js';
import { checkDatasetName, type DatasetFiles, type DatasetName } from './files.js';
import { parseIdxImages, parseIdxLabels, readIdxBytes } from './idx.js';
import { locateDataset, type LocatedDataset, type SourceOptions } from './sources.js';

export const IMAGE_ROWS = 28;
export const IMAGE_COLS = 28;
/** Values per flattened image. */
export const IMAGE_SIZE = IMAGE_ROWS * IMAGE_COLS;
export const NUM_CLASSES = 10;

/** Images as pixel / 255 in [0, 1], flattened row-major to IMAGE_SIZE values each; integer labels 0..9. */
export interface Split {
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface Dataset {
  name: DatasetName;
  /** Where the files came from, human readable. */
  source: string;
  files: DatasetFiles;
  train: Split;
  test: Split;
}

export interface LoadOptions extends SourceOptions {
  /** Expected numbers of images (default 60000 train, 10000 test); tests use tiny generated datasets. */
  expectedCounts?: { train: number; test: number };
}

/** float32(p / 255) for every byte value p. */
const PIXEL_SCALE = Float32Array.from({ length: 256 }, (_, p) => p / 255);

async function readSplit(
  located: LocatedDataset,
  which: 'train' | 'test',
  expectedCount: number,
  checksums: Readonly<Record<keyof DatasetFiles, string>>,
): Promise<Split> {
  const imagesKey = which === 'train' ? 'trainImages' : 'testImages';
  const labelsKey = which === 'train' ? 'trainLabels' : 'testLabels';
  const imagesPath = located.files[imagesKey];
  const labelsPath = located.files[labelsKey];
  const hint = (file: string): string => `${located.fixHint} (${file}, from ${located.source})`;

  const imageBytes = await readIdxBytes(imagesPath);
  const images = parseIdxImages(imageBytes, imagesPath);
  verifyChecksum(imagesPath, imageBytes, checksums[imagesKey], hint(imagesPath));
  const labelBytes = await readIdxBytes(labelsPath);
  const labels = parseIdxLabels(labelBytes, labelsPath);
  verifyChecksum(labelsPath, labelBytes, checksums[labelsKey], hint(labelsPath));

  if (images.rows !== IMAGE_ROWS || images.cols !== IMAGE_COLS) {
    throw new DataError(
      `${imagesPath} holds ${images.rows} x ${images.cols} images, expected ${IMAGE_ROWS} x ${IMAGE_COLS}`,
      hint(imagesPath),
    );
  }
  if (images.count !== expectedCount || labels.count !== expectedCount) {
    throw new DataError(
      `the ${which} split should have ${expectedCount} images and labels, but ${imagesPath} has ${images.count} ` +
        `and ${labelsPath} has ${labels.count}`,
      hint(imagesPath),
    );
  }
  const out = new Int32Array(labels.count);
  for (let i = 0; i < labels.count; i++) {
    const label = labels.labels[i]!;
    if (label >= NUM_CLASSES) {
      throw new DataError(`${labelsPath}: label ${i} is ${label}, outside 0..${NUM_CLASSES - 1}`, hint(labelsPath));
    }
    out[i] = label;
  }
  const pixels = new Float32Array(images.pixels.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = PIXEL_SCALE[images.pixels[i]!]!;
  return { images: pixels, labels: out, count: images.count };
}

/**
 * Loads a dataset from the first source that has it (see locateDataset), verifying every file's MD5 and its
 * shape: 60000 train and 10000 test images of 28 x 28 pixels, labels 0..9.
 */
export async function loadDataset(name: DatasetName, options: LoadOptions = {}): Promise<Dataset> {
  checkDatasetName(name);
  const located = await locateDataset(name, options);
  const checksums = options.checksums ?? CHECKSUMS[name];
  const counts = options.expectedCounts ?? { train: 60_000, test: 10_000 };
  const train = await readSplit(located, 'train', counts.train, checksums);
  const test = await readSplit(located, 'test', counts.test, checksums);
  return { name, source: located.source, files: located.files, train, test };
}

/** The examples [start, end) of a split, as views sharing its memory. */
export function sliceSplit(split: Split, start: number, end: number): Split {
  const size = split.count === 0 ? 0 : split.images.length / split.count;
  return {
    images: split.images.subarray(start * size, end * size),
    labels: split.labels.subarray(start, end),
    count: end - start,
  };
}

/**
 * The protocol's validation split: the FIRST `validSize` examples in file order are the validation set, the rest
 * the training set (views, no copy). `validSize` 0 means no validation set (`valid` is null).
 */
export function splitValidation(train: Split, validSize: number): { train: Split; valid: Split | null } {
  if (!Number.isInteger(validSize) || validSize < 0 || validSize >= train.count) {
    throw new ConfigError(
      `valid_size must be an integer in [0, ${train.count - 1}] (it must leave at least one training image), got ${validSize}`,
      'use --valid_size 10000 (the protocol default), or 0 for no validation set',
    );
  }
  return {
    valid: validSize === 0 ? null : sliceSplit(train, 0, validSize),
    train: sliceSplit(train, validSize, train.count),
  };
}
