import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { DataError } from '../errors.js';

/**
 * The IDX format (LeCun's MNIST files): a 4-byte magic (two zero bytes, a dtype byte, the number of dimensions),
 * one big-endian uint32 per dimension, then the values in row-major order. Only unsigned bytes (dtype 0x08)
 * occur in MNIST and Fashion-MNIST: 0x00000803 for [count, rows, cols] images, 0x00000801 for [count] labels.
 */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  labels: Uint8Array;
}

const UBYTE = 0x08;

const fixHint = (file: string): string =>
  `delete ${file} and run again to re-download it, or point --data_dir (RSN_DATA_DIR) at a folder with intact files`;

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The decompressed contents of a raw or gzip-compressed buffer; `file` names it in errors. */
export function decompressIfGzip(bytes: Uint8Array, file: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (e) {
    throw new DataError(`${file} is not a valid gzip file (${(e as Error).message})`, fixHint(file));
  }
}

/** Reads a raw or gzipped IDX file from disk and returns its decompressed bytes. */
export async function readIdxBytes(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch (e) {
    throw new DataError(`cannot read ${path} (${(e as Error).message})`, 'check the path and its permissions');
  }
  return decompressIfGzip(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength), path);
}

/** Validates the header of an IDX ubyte file with `ndims` dimensions and returns them. */
function parseHeader(bytes: Uint8Array, file: string, ndims: number, kind: string): number[] {
  const expectedMagic = 0x0800 | ndims;
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < 4) {
    throw new DataError(`${file} is too short to be an IDX ${kind} file (${bytes.length} bytes)`, fixHint(file));
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (magic !== expectedMagic) {
    const hex = (m: number): string => `0x${m.toString(16).padStart(8, '0')}`;
    const what =
      bytes[0] !== 0 || bytes[1] !== 0
        ? 'not an IDX file'
        : bytes[2] !== UBYTE
          ? `an IDX file of dtype 0x${bytes[2]!.toString(16)} (only 0x08, unsigned bytes, is supported)`
          : `an IDX file with ${bytes[3]} dimension(s), not ${ndims}`;
    throw new DataError(
      `${file} is ${what}: magic ${hex(magic)}, expected ${hex(expectedMagic)} for IDX ${kind}`,
      `check that the right file is used (images and labels files swapped?); otherwise ${fixHint(file)}`,
    );
  }
  if (bytes.length < headerLength) {
    throw new DataError(
      `${file} is too short to be an IDX ${kind} file (${bytes.length} bytes, the header alone needs ${headerLength})`,
      fixHint(file),
    );
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expectedLength = headerLength + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expectedLength) {
    const problem =
      bytes.length < expectedLength
        ? `is truncated: ${bytes.length} bytes, but its header (${dims.join(' x ')}) needs ${expectedLength}`
        : `has ${bytes.length - expectedLength} unexpected trailing bytes after the ${dims.join(' x ')} values its header declares`;
    throw new DataError(`${file} ${problem}`, fixHint(file));
  }
  return dims;
}

/** Parses decompressed IDX images (magic 0x00000803, [count, rows, cols] unsigned bytes). */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const [count, rows, cols] = parseHeader(bytes, file, 3, 'images') as [number, number, number];
  if (rows === 0 || cols === 0) {
    throw new DataError(`${file} declares images of ${rows} x ${cols} pixels`, fixHint(file));
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses decompressed IDX labels (magic 0x00000801, [count] unsigned bytes). */
export function parseIdxLabels(bytes: Uint8Array, file: string): IdxLabels {
  const [count] = parseHeader(bytes, file, 1, 'labels') as [number];
  return { count, labels: bytes.subarray(8) };
}

/** Reads and parses an IDX images file (raw or gzipped). */
export async function readIdxImages(path: string): Promise<IdxImages> {
  return parseIdxImages(await readIdxBytes(path), path);
}

/** Reads and parses an IDX labels file (raw or gzipped). */
export async function readIdxLabels(path: string): Promise<IdxLabels> {
  return parseIdxLabels(await readIdxBytes(path), path);
}
