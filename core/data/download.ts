import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataError } from '../errors.js';
import { verifyChecksum } from './checksums.js';
import { decompressIfGzip, isGzip } from './idx.js';

/** Bytes received so far for one file; `total` is the Content-Length when the server sent one. */
export interface DownloadProgress {
  file: string;
  url: string;
  bytes: number;
  total: number | undefined;
}

export interface DownloadOptions {
  /** Attempts per mirror (default 3). */
  retries?: number;
  /** Delay before the second attempt in ms, doubled for each further one (default 1000). */
  retryDelayMs?: number;
  /** Limit for one attempt in ms (default 300000). */
  timeoutMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
}

/** A failure that retrying the same URL will not fix (e.g. HTTP 404). */
class PermanentFailure extends Error {}

let tempCounter = 0;

/**
 * Fetches `url` into the temporary file `temp`, then checks the received length against Content-Length and the
 * MD5 of the (decompressed) bytes against `expectedMd5`. Returns the bytes as received (possibly gzipped).
 */
async function attempt(
  url: string,
  file: string,
  temp: string,
  expectedMd5: string,
  options: DownloadOptions,
): Promise<Uint8Array> {
  const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 300_000) });
  if (!response.ok || response.body === null) {
    const message = `HTTP ${response.status} ${response.statusText}`.trim();
    await response.body?.cancel();
    const transient = response.status >= 500 || response.status === 408 || response.status === 429;
    throw transient ? new Error(message) : new PermanentFailure(message);
  }
  const header = response.headers.get('content-length');
  const total = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const handle = await open(temp, 'w');
  try {
    for await (const chunk of response.body) {
      await handle.write(chunk);
      chunks.push(chunk);
      bytes += chunk.byteLength;
      options.onProgress?.({ file, url, bytes, total });
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (total !== undefined && bytes !== total) {
    throw new Error(`truncated: received ${bytes} of ${total} bytes`);
  }
  const body = Buffer.concat(chunks);
  const raw = decompressIfGzip(body, url);
  verifyChecksum(url, raw, expectedMd5, 'the mirror served different bytes');
  return body;
}

/**
 * Downloads the IDX file `name` (e.g. `train-images-idx3-ubyte`) into `destDir`, trying `<mirror><name>.gz` for
 * each mirror base URL in order, each up to `retries` times with exponential backoff. The bytes go to a
 * temporary file in `destDir` and are renamed into place only once their checksum has been verified, so a
 * failed or interrupted download never leaves a file under the final name. Returns the final path
 * (`<name>.gz` when the server sent gzip, `<name>` otherwise).
 */
export async function downloadIdxFile(
  mirrors: readonly string[],
  destDir: string,
  name: string,
  expectedMd5: string,
  options: DownloadOptions = {},
): Promise<string> {
  const retries = Math.max(1, options.retries ?? 3);
  const baseDelay = options.retryDelayMs ?? 1000;
  const failures: string[] = [];
  for (const mirror of mirrors) {
    const url = `${mirror.endsWith('/') ? mirror : `${mirror}/`}${name}.gz`;
    for (let k = 0; k < retries; k++) {
      if (k > 0) await sleep(baseDelay * 2 ** (k - 1));
      const temp = join(destDir, `.${name}.${process.pid}.${++tempCounter}.part`);
      try {
        const body = await attempt(url, name, temp, expectedMd5, options);
        const dest = join(destDir, isGzip(body) ? `${name}.gz` : name);
        await rename(temp, dest);
        return dest;
      } catch (e) {
        await rm(temp, { force: true });
        failures.push(`${url} (attempt ${k + 1}): ${(e as Error).message.split('\n')[0]}`);
        if (e instanceof PermanentFailure) break;
      }
    }
  }
  throw new DataError(
    `could not download ${name}:\n    ${failures.join('\n    ')}`,
    'check the network connection (or a proxy), or fetch the file by hand and pass its folder with --data_dir',
  );
}
