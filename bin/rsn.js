#!/usr/bin/env node
// Entry point of the rsn command. Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs
// through `prepare`) when it is up to date, and the TypeScript sources through tsx's loader otherwise: in a
// checkout being edited, a stale dist/ is never run.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['api', 'backends', 'benchmarks', 'cli', 'core'];

/** The newest modification time of the .ts sources below `dir` (0 when there are none, as in a package). */
function newestSource(dir) {
  let newest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    if (entry.name === 'node_modules' || entry.name === 'build') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  if (process.env.RSN_FROM_SOURCE === '1') return false;
  const stamp = join(root, 'dist', '.built');
  if (!existsSync(stamp) || !existsSync(join(root, 'dist', 'cli', 'main.js'))) return false;
  const built = statSync(stamp).mtimeMs;
  return SOURCE_DIRS.every((dir) => newestSource(join(root, dir)) <= built);
}

let cli;
if (compiledIsCurrent()) {
  cli = await import('../dist/cli/main.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('../cli/main.ts');
}
const { main, reportStrayErrors } = cli;
reportStrayErrors();
process.exitCode = await main(process.argv);
