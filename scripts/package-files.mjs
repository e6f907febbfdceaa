// What `npm pack` must ship and must not (package.json "files"), checked by scripts/check-package.mjs on a real
// tarball and by test/package/files.test.ts on `npm pack --dry-run`.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Folders compiled to dist/ (tsconfig.build.json), and the one it leaves out. */
const COMPILED = ['api', 'backends', 'benchmarks', 'cli', 'core'];
const NOT_COMPILED = ['benchmarks/perf'];

function walk(root, dir) {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'build') return [];
    return statSync(join(root, path)).isDirectory() ? walk(root, path) : [path];
  });
}

/** Every path the tarball must hold: the compiled library with declarations, the command, the native sources, docs. */
export function requiredInPack(root) {
  const compiled = COMPILED.flatMap((dir) => walk(root, dir))
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.test.ts') && !NOT_COMPILED.some((d) => f.startsWith(`${d}/`)))
    .flatMap((f) => [`dist/${f.replace(/\.ts$/, '.js')}`, `dist/${f.replace(/\.ts$/, '.d.ts')}`]);
  return [
    'package.json', 'README.md', 'LICENSE', 'bin/rsn.js', 'dist/.built', ...compiled,
    'native/binding.gyp', 'native/install.cjs', 'native/package.json', ...walk(root, 'native/src'),
    ...walk(root, 'docs'),
  ].map((p) => relative('.', p));
}

export const missingFromPack = (files, root) => {
  const have = new Set(files);
  return requiredInPack(root).filter((p) => !have.has(p));
};

/** Paths a user never needs: tests, CI, sources of what dist/ holds, configs, source maps, build outputs. */
const UNWANTED = [/^test\//, /^\.ci\//, /^scripts\//, /^scratch\//, /^fixtures\//, /^node_modules\//, /^native\/build\//,
  /^(api|backends|benchmarks|cli|core)\//, /^tsconfig/, /^vitest\.config/, /\.map$/, /^package-lock\.json$/, /^\.git/];

export const unwantedInPack = (files) => files.filter((f) => UNWANTED.some((re) => re.test(f)));
