#!/usr/bin/env node
// `npm run build`: compile the TypeScript sources to dist/ with declarations. npm runs it in a checkout on
// `npm ci` / `npm install` (the `postprepare` script) and before `npm pack` (`prepack`), so a tarball always
// holds a fresh dist/. It is deliberately not the `prepare` script: npm lists a tarball's `prepare` among the
// install scripts a consumer must approve (allowScripts), although it never runs it for a tarball.
// The compiled modules find package.json, native/ and bin/ through the package root (core/experiment/provenance.ts,
// packageRoot), so dist/ needs no links and is the same in a checkout as in an installed package.
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
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
// bin/rsn.js runs dist/ only when this stamp is newer than every source file (stale builds are not run).
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
