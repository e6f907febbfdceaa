import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { RsnError } from '../errors.js';

/** The .npy file is not one this reader understands (only little-endian float32, C order). */
export class NpyFormatError extends RsnError {}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Encode a float32 array as .npy version 1.0 (numpy.load reads it). */
export function encodeNpy(values: Float32Array, shape: readonly number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const header = dict + ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  out.set(body, 10 + header.length);
  return out;
}

/** The header of a .npy file: the shape it declares and where its data start. */
export interface NpyHeader {
  readonly shape: number[];
  readonly dataOffset: number;
}

/** The most bytes a .npy header of ours can take (numpy pads it to 64 bytes; 4 KiB is ample). */
export const NPY_HEADER_BYTES = 4096;

/** Parse the header at the start of `bytes` (which may hold only the header's first bytes); float32 C order only. */
export function parseNpyHeader(bytes: Uint8Array, name = 'npy data'): NpyHeader {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new NpyFormatError(`${name} is not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3 || (major > 1 && bytes.length < 12)) throw new NpyFormatError(`${name} is not a .npy file (version ${major})`);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start + headerLength) throw new NpyFormatError(`${name} is truncated inside its header`);
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new NpyFormatError(`${name} holds ${header.trim()}; rsn reads little-endian float32 in C order`);
  }
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (shapeText === undefined) throw new NpyFormatError(`${name} has no shape in its header`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NpyFormatError(`${name} declares the shape (${shapeText})`);
  return { shape, dataOffset: start + headerLength };
}

/** The bytes a float32 .npy of this header takes in all. */
export const npyFileBytes = (header: NpyHeader): number => header.dataOffset + 4 * header.shape.reduce((a, b) => a * b, 1);

/** Decode a little-endian float32 C-order .npy (versions 1-3). */
export function decodeNpy(bytes: Uint8Array, name = 'npy data'): { values: Float32Array; shape: number[] } {
  const header = parseNpyHeader(bytes, name);
  const { shape, dataOffset: offset } = header;
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - offset !== count * 4) {
    throw new NpyFormatError(`${name} is truncated: ${bytes.length - offset} data bytes for shape (${shape})`, "delete its round's folder (prune_iter_YY); the next run recomputes the round");
  }
  const values = new Float32Array(count);
  new Uint8Array(values.buffer).set(bytes.subarray(offset));
  return { values, shape };
}

export const readNpy = (path: string): { values: Float32Array; shape: number[] } => decodeNpy(readFileSync(path), path);

/** The header of the .npy file at `path` and the file's size, reading only its first bytes. */
export function readNpyHeader(path: string): { header: NpyHeader; size: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const bytes = new Uint8Array(Math.min(size, NPY_HEADER_BYTES));
    readSync(fd, bytes, 0, bytes.length, 0);
    return { header: parseNpyHeader(bytes, path), size };
  } finally {
    closeSync(fd);
  }
}
