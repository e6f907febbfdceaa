#!/usr/bin/env node
// `npm run build` (and `prepare`, so npm install/ci runs it): compile the TypeScript sources to dist/ with
// declarations, then link the files the compiled modules find relative to themselves (package.json, the native
// addon, bin/) so that dist/ mirrors the checkout's layout one level down.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  // Installed without devDependencies (npm install --omit=dev): bin/rsn.js runs the sources through tsx instead.
  process.stderr.write('rsn build: typescript is not installed, so dist/ is not built; rsn runs its sources through tsx\n');
  process.exit(0);
}
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
for (const [name, type] of [['package.json', 'file'], ['native', 'junction'], ['bin', 'junction']]) {
  const link = join(dist, name);
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) rmSync(link, { recursive: true, force: true });
  symlinkSync(join('..', name), link, type);
}
// bin/rsn.js runs dist/ only when this stamp is newer than every source file (stale builds are not run).
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
