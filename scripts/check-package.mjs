#!/usr/bin/env node
// `npm run check:package` (and .ci/run): the package a user installs, checked as a user gets it.
//   1. `npm pack` of this checkout (its prepack script builds dist/), and the tarball's file list;
//   2. a fresh project installs the tarball (--prefer-offline: the tarballs `npm ci` cached here, and from the
//      registry only the package metadata a fresh cache lacks, since `npm ci` fetches none), with --strict-allow-scripts and the allowScripts entries that `npm install-scripts approve --all`
//      writes; any allowScripts or engine (EBADENGINE) warning fails the check;
//   3. `import('rsn')` from JavaScript, a TypeScript consumer type-checked against the declarations (and a wrong
//      use refused), `npx rsn --help` and `npx rsn backends` (the native addon built from the shipped sources
//      where this checkout could build it), with nothing on stderr.
// Prints one line per step; exits 1 with the reason at the first failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { missingFromPack, unwantedInPack } from './package-files.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'rsn-package-'));
const keep = process.argv.includes('--keep');
const began = Date.now();

function fail(message, output = '') {
  process.stderr.write(`${output ? `${output.trimEnd()}\n` : ''}check-package: ${message}\n`);
  if (!keep) rmSync(work, { recursive: true, force: true });
  process.exit(1);
}

function step(text) {
  process.stdout.write(`check-package: ${text} (${Math.round((Date.now() - began) / 1000)}s)\n`);
}

/** Run a command; its combined output, or fail with it. */
function run(command, args, cwd, env = process.env) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.status !== 0) fail(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal}`, output);
  return { stdout: result.stdout, stderr: result.stderr, output };
}

// 1. Pack (prepack builds dist/).
const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', work], root).stdout.replace(/^[^[]*/, ''));
const files = packed[0].files.map((f) => f.path);
const missing = missingFromPack(files, root);
if (missing.length > 0) fail(`the tarball lacks ${missing.join(', ')}`);
const unwanted = unwantedInPack(files);
if (unwanted.length > 0) fail(`the tarball holds files a user does not need: ${unwanted.slice(0, 10).join(', ')}${unwanted.length > 10 ? ', ...' : ''}`);
const tarball = join(work, packed[0].filename);
step(`packed ${packed[0].filename}: ${files.length} files, ${(packed[0].size / 1024).toFixed(0)} KiB`);

// 2. Install into a fresh project, from the cache where it can.
const project = join(work, 'consumer');
mkdirSync(project);
writeFileSync(join(project, 'package.json'), `${JSON.stringify({
  name: 'rsn-consumer', version: '1.0.0', private: true, type: 'module',
  dependencies: { rsn: `file:${tarball}` },
  // What `npm install-scripts approve --all` writes after installing the tarball (README, "Set-up").
  allowScripts: { esbuild: true, 'file:rsn/native': true, webgpu: true },
}, null, 2)}\n`);
const install = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--strict-allow-scripts'], project);
const warnings = install.output.split('\n').filter((line) => /install-scripts|allowScripts|EBADENGINE|npm warn/i.test(line));
if (warnings.length > 0) fail('npm install of the tarball warned', warnings.join('\n'));
step('installed into a fresh project, without warnings');

// 3. Use it.
const imported = run('node', ['--input-type=module', '-e',
  "const m = await import('rsn'); console.log([typeof m.runExperiment, typeof m.loadResults, typeof m.writeReport, m.DEFAULT_BACKEND].join(' '))"], project);
if (imported.stdout.trim() !== 'function function function wasm') fail(`import('rsn') gave: ${imported.output}`);
step("import('rsn') from JavaScript");

const typescript = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
  compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] },
  files: ['consumer.ts'],
}));
const typecheck = (source) => {
  writeFileSync(join(project, 'consumer.ts'), source);
  return spawnSync('node', [typescript, '-p', project], { cwd: project, encoding: 'utf8' });
};
const right = typecheck([
  "import { loadResults, runExperiment, type EvaluationRecord, type ExperimentConfig } from 'rsn';",
  "const config: Partial<ExperimentConfig> = { experiment: 'reinit_orig', trials: 1 };",
  'export const run = () => runExperiment(config, { onEvaluation: (r: EvaluationRecord) => console.log(r.test_acc) });',
  "export const configs = () => loadResults('results').configs.length;",
].join('\n'));
if (right.status !== 0) fail('a TypeScript consumer does not type-check against the declarations', `${right.stdout}${right.stderr}`);
const wrong = typecheck("import { runExperiment } from 'rsn';\nexport const run = () => runExperiment({ experiment: 'prune_everything' });\n");
if (wrong.status === 0 || !/prune_everything/.test(wrong.stdout)) fail('a wrong use of the API type-checks: the declarations are not used', `${wrong.stdout}${wrong.stderr}`);
step('a TypeScript consumer type-checks (and a wrong use is refused)');

const help = run('npx', ['--offline', 'rsn', '--help'], project);
if (!/^Usage: rsn/m.test(help.stdout) || help.stderr.trim() !== '') fail('npx rsn --help', help.output);
const backends = run('npx', ['--offline', 'rsn', 'backends'], project);
if (backends.stderr.trim() !== '') fail('npx rsn backends printed on stderr', backends.stderr);
const nativeHere = existsSync(join(root, 'native', 'build', 'Release', 'rsn_native.node'));
if (nativeHere && !/^native\s+available/m.test(backends.stdout)) fail('the installed package did not build or find the native addon', backends.stdout);
step(`npx rsn --help and npx rsn backends (native ${nativeHere ? 'built from the shipped sources' : 'not checked: not built in this checkout'})`);

// The installed package is the tarball's contents: no source file of the checkout was needed.
const installed = JSON.parse(readFileSync(join(project, 'node_modules', 'rsn', 'package.json'), 'utf8'));
if (installed.version !== JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version) fail('the installed version differs from the checkout\'s');
if (!keep) rmSync(work, { recursive: true, force: true });
else step(`kept ${work}`);
step('passed');
