/**
 * What `npm pack` ships (package.json "files"): the compiled library with declarations, bin/, the native sources
 * with binding.gyp, the licence, README and docs/, and nothing else. Lists the tarball without building or writing
 * it (`npm pack --dry-run --ignore-scripts`); needs dist/ built (npm ci builds it), skipped with the reason where
 * it is not. scripts/check-package.mjs (npm run check:package, run by .ci/run) packs, installs and uses the package.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { missingFromPack, requiredInPack, unwantedInPack } from '../../scripts/package-files.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(join(root, 'dist', '.built'));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; files: string[] };

describe('package.json scripts', () => {
  it('builds dist/ before packing and on install in a checkout, with no prepare script a consumer would have to approve', () => {
    expect(pkg.scripts.prepack).toBe('node scripts/build.mjs');
    expect(pkg.scripts.postprepare).toBe('node scripts/build.mjs');
    expect(pkg.scripts.prepare).toBeUndefined();
  });
});

describe.skipIf(!built)(`npm pack's file list${built ? '' : ' (skipped: dist/ not built; npm run build)'}`, () => {
  const listed = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }).replace(/^[^[]*/, '')) as { files: { path: string }[] }[];
  const files = listed[0]!.files.map((f) => f.path);

  it('holds every compiled module with its declarations, bin/, the native sources, the licence, README and docs/', () => {
    expect(requiredInPack(root)).toEqual(expect.arrayContaining(['dist/api/index.d.ts', 'dist/cli/main.js', 'native/binding.gyp', 'native/src/addon.c', 'LICENSE', 'docs/PROTOCOL.md']));
    expect(missingFromPack(files, root)).toEqual([]);
  });

  it('holds nothing else: no tests, CI, TypeScript sources, configs or source maps', () => {
    expect(unwantedInPack(files)).toEqual([]);
    expect(unwantedInPack(['test/x.test.ts', 'core/nn/adam.ts', 'dist/api/index.js.map', '.ci/run', 'dist/api/index.js'])).toEqual(['test/x.test.ts', 'core/nn/adam.ts', 'dist/api/index.js.map', '.ci/run']);
  });
});
