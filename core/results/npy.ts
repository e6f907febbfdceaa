import { readFileSync } from 'node:fs';
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

/** Decode a little-endian float32 C-order .npy (versions 1-3). */
export function decodeNpy(bytes: Uint8Array, name = 'npy data'): { values: Float32Array; shape: number[] } {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new NpyFormatError(`${name} is not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new NpyFormatError(`${name} holds ${header.trim()}; rsn reads little-endian float32 in C order`);
  }
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '';
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  if (bytes.length - offset !== count * 4) {
    throw new NpyFormatError(`${name} is truncated: ${bytes.length - offset} data bytes for shape (${shape})`, "delete its round's folder (prune_iter_YY); the next run recomputes the round");
  }
  const values = new Float32Array(count);
  new Uint8Array(values.buffer).set(bytes.subarray(offset));
  return { values, shape };
}

export const readNpy = (path: string): { values: Float32Array; shape: number[] } => decodeNpy(readFileSync(path), path);
