import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { md5 } from '../../core/data/checksums.js';
import { CANONICAL_NAMES, FILE_KEYS, type FileKey } from '../../core/data/files.js';
import { Rng } from '../../core/nn/rng.js';

/** IDX bytes of [count, rows, cols] unsigned-byte images (magic 0x00000803). */
export function idxImages(count: number, rows: number, cols: number, pixels: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + pixels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000803);
  view.setUint32(4, count);
  view.setUint32(8, rows);
  view.setUint32(12, cols);
  out.set(pixels, 16);
  return out;
}

/** IDX bytes of [count] unsigned-byte labels (magic 0x00000801). */
export function idxLabels(labels: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x00000801);
  view.setUint32(4, labels.length);
  out.set(labels, 8);
  return out;
}

export const gzip = (bytes: Uint8Array): Uint8Array => new Uint8Array(gzipSync(bytes));

/** A tiny 28 x 28 dataset with random pixels and labels: the raw IDX bytes of its four files and their MD5s. */
export interface TinyDataset {
  raw: Record<FileKey, Uint8Array>;
  checksums: Record<FileKey, string>;
  trainPixels: Uint8Array;
  trainLabels: Uint8Array;
}

export function tinyDataset(seed: number, train = 3, test = 2): TinyDataset {
  const rng = new Rng(seed);
  const bytes = (n: number, max: number): Uint8Array => Uint8Array.from({ length: n }, () => rng.int(max));
  const trainPixels = bytes(train * 784, 256);
  const trainLabels = bytes(train, 10);
  const raw: Record<FileKey, Uint8Array> = {
    trainImages: idxImages(train, 28, 28, trainPixels),
    trainLabels: idxLabels(trainLabels),
    testImages: idxImages(test, 28, 28, bytes(test * 784, 256)),
    testLabels: idxLabels(bytes(test, 10)),
  };
  const checksums = Object.fromEntries(FILE_KEYS.map((k) => [k, md5(raw[k])])) as Record<FileKey, string>;
  return { raw, checksums, trainPixels, trainLabels };
}

/** Writes the four files of `data` into `dir` under their canonical names, gzipped (`.gz`) or raw. */
export async function writeDataset(dir: string, data: TinyDataset, gzipped: boolean, keys = FILE_KEYS): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const key of keys) {
    const name = CANONICAL_NAMES[key] + (gzipped ? '.gz' : '');
    await writeFile(join(dir, name), gzipped ? gzip(data.raw[key]) : data.raw[key]);
  }
}

/** A fresh temporary folder, and a function removing it. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'rsn-data-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A local HTTP server on 127.0.0.1; `requests` records every path asked for. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, nth: number) => void,
): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res, requests.filter((r) => r === req.url).length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The gzipped bytes a mirror serves for a canonical file name (undefined for unknown paths). */
export function mirrorFiles(data: TinyDataset): Map<string, Uint8Array> {
  return new Map(FILE_KEYS.map((k) => [`/${CANONICAL_NAMES[k]}.gz`, gzip(data.raw[k])]));
}
