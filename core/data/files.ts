import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/** The two datasets of the paper: MNIST digits and Fashion-MNIST. */
export type DatasetName = 'digits' | 'fashion';
export const DATASET_NAMES: readonly DatasetName[] = ['digits', 'fashion'];

/** The four IDX files of a dataset. */
export type FileKey = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
export const FILE_KEYS: readonly FileKey[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

/** Canonical file names (the same for both datasets); each may also be stored gzipped as `<name>.gz`. */
export const CANONICAL_NAMES: Readonly<Record<FileKey, string>> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

export type DatasetFiles = Record<FileKey, string>;

export function checkDatasetName(name: string): DatasetName {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new ConfigError(`unknown dataset '${name}'`, `use one of: ${DATASET_NAMES.join(', ')}`);
  }
  return name as DatasetName;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** The path of one canonical file in `dir`, raw preferred over `.gz`, or undefined when neither exists. */
export async function findFile(dir: string, key: FileKey): Promise<string | undefined> {
  for (const candidate of [CANONICAL_NAMES[key], `${CANONICAL_NAMES[key]}.gz`]) {
    const path = join(dir, candidate);
    if (await exists(path)) return path;
  }
  return undefined;
}

/** Looks for the four files in `dir`: all found, or the list of canonical names that are missing. */
export async function findDatasetFiles(
  dir: string,
): Promise<{ files: DatasetFiles; missing: [] } | { files: undefined; missing: string[] }> {
  const files: Partial<DatasetFiles> = {};
  const missing: string[] = [];
  for (const key of FILE_KEYS) {
    const path = await findFile(dir, key);
    if (path === undefined) missing.push(CANONICAL_NAMES[key]);
    else files[key] = path;
  }
  return missing.length === 0 ? { files: files as DatasetFiles, missing: [] } : { files: undefined, missing };
}
