import { createHash } from 'node:crypto';
import { ChecksumError } from '../errors.js';
import type { DatasetName, FileKey } from './files.js';

/** Expected MD5 (hex) of each of the four DECOMPRESSED IDX files of a dataset. */
export type DatasetChecksums = Readonly<Record<FileKey, string>>;

/** The published checksums of the raw IDX files (docs/PROTOCOL.md, Data). */
export const CHECKSUMS: Readonly<Record<DatasetName, DatasetChecksums>> = {
  digits: {
    trainImages: '6bbc9ace898e44ae57da46a324031adb',
    trainLabels: 'a25bea736e30d166cdddb491f175f624',
    testImages: '2646ac647ad5339dbf082846283269ea',
    testLabels: '27ae3e4e09519cfbb04c329615203637',
  },
  fashion: {
    trainImages: 'f4a8712d7a061bf5bd6d2ca38dc4d50a',
    trainLabels: '9018921c3c673c538a1fc5bad174d6f9',
    testImages: '8181f5470baa50b63fa0f6fddb340f0a',
    testLabels: '15d484375f8d13e6eb1aabb0c3f46965',
  },
};

/** MD5 of a byte buffer, lower-case hex. */
export function md5(bytes: Uint8Array): string {
  return createHash('md5').update(bytes).digest('hex');
}

/**
 * Throws a ChecksumError naming `file` unless the MD5 of `bytes` (already decompressed) equals `expected`.
 * `hint` says what to do; by default: delete the file and re-download it, or use another data folder.
 */
export function verifyChecksum(
  file: string,
  bytes: Uint8Array,
  expected: string,
  hint = `delete ${file} and run again to re-download it, or point --data_dir (RSN_DATA_DIR) at a folder with the original files`,
): void {
  const actual = md5(bytes);
  if (actual !== expected.toLowerCase()) throw new ChecksumError(file, expected.toLowerCase(), actual, hint);
}
