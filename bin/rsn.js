#!/usr/bin/env node
// Entry point of the rsn command. Runs the compiled CLI (dist/, built by `npm run build`, which `npm ci` runs
// through `postprepare` and `npm pack` through `prepack`) when it is up to date, and the TypeScript sources through
// tsx's loader otherwise: in a checkout being edited, a stale dist/ is never run. An installed package has no
// sources, so its dist/ is always current.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Guards installed before anything else loads, in the command and in each of its workers (forked from this file).
// SIGUSR1 and SIGUSR2 have a listener from the start: with none, Node opens its debugger (the inspector, on
// 127.0.0.1:9229) on SIGUSR1. A run in progress stops on them as on SIGTERM (cli/interrupt.ts marks its listener
// with STOP_LISTENER); otherwise the command ends as the signal would have ended it; a worker ignores them, as its
// parent stops it. A closed pipe on stdout or stderr (`rsn train | head`) silences that stream; the run goes on.
const STOP_LISTENER = Symbol.for('rsn.stop-listener');
const isWorker = process.argv[2] === '_worker';
for (const signal of ['SIGUSR1', 'SIGUSR2']) {
  process.on(signal, () => {
    if (isWorker || process.listeners(signal).some((listener) => listener[STOP_LISTENER])) return;
    process.stderr.write(`rsn: stopped (${signal})\n`);
    process.exit(128 + constants.signals[signal]);
  });
}
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    stream.write = (_chunk, encoding, callback) => {
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') process.nextTick(done);
      return true;
    };
  });
}

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
