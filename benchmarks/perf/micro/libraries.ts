/**
 * npm run bench:libraries [-- --rounds 3] [--quick] [--json FILE]
 *
 * The native backend on each library of its matrix products, side by side in one run: the addon is built on
 * oneDNN and on OpenBLAS (backends/native/build.ts, each in a temporary folder; a library that is not installed
 * is skipped, with the reason), then bench:micro's whole steps (natural, FGSM, PGD-10) run on each build in turn,
 * for several rounds (run.ts in a child process per round and build, RSN_NATIVE_ADDON naming the build), so that
 * load from other processes spreads over both. Prints, per build: its peak (the best of its rounds) and, per
 * step, the median over the rounds of the rounds' median wall and CPU times per step, with the ratio to the bound;
 * then the step's products shape by shape on each build (library-products.ts: best CPU time per product).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ProductLibrary } from '../../../backends/native/addon.js';
import { buildAddonOn } from '../../../backends/native/build.js';
import { STEP_PRODUCTS } from './bound.js';
import { BOUNDED, boundTable, type ItemResult, type Report } from './report.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  process.stderr.write(`bench:libraries: --rounds takes a whole number >= 1; got '${values.rounds}'\n`);
  process.exit(2);
}

const LIBRARIES: readonly ProductLibrary[] = ['onednn', 'openblas'];
const builds = LIBRARIES.map((library) => ({ library, ...buildAddonOn(library) }));
for (const b of builds) if (b.reason !== undefined) process.stderr.write(`bench:libraries: ${b.library} skipped (${b.reason})\n`);
const ready = builds.filter((b): b is typeof b & { addonPath: string } => b.reason === undefined);

const runScript = fileURLToPath(new URL('./run.ts', import.meta.url));
const productsScript = fileURLToPath(new URL('./library-products.ts', import.meta.url));
const products = new Map<ProductLibrary, Record<string, number>[]>(ready.map((b) => [b.library, []]));
const scratch = mkdtempSync(join(tmpdir(), 'rsn-bench-libraries-'));
const reports = new Map<ProductLibrary, Report[]>(ready.map((b) => [b.library, []]));
const loadBefore = loadavg()[0]!;
try {
  for (let round = 1; round <= rounds; round++) {
    for (const b of ready) {
      process.stderr.write(`round ${round}/${rounds}: native on ${b.library}\n`);
      const out = join(scratch, `${b.library}-${round}.json`);
      const child = spawnSync(process.execPath, [
        ...process.execArgv, runScript, '--backend', 'native', '--out', out, ...(values.quick ? ['--quick'] : []),
        ...BOUNDED.flatMap((s) => ['--only', s.item]),
      ], { env: { ...process.env, RSN_NATIVE_ADDON: b.addonPath, RSN_NATIVE_THREADS: '1' }, stdio: ['ignore', 'ignore', 'inherit'] });
      if (child.status !== 0) throw new Error(`bench:libraries: the run on ${b.library} failed (exit ${child.status})`);
      reports.get(b.library)!.push(JSON.parse(readFileSync(out, 'utf8')) as Report);
      const timed = spawnSync(process.execPath, [...process.execArgv, productsScript], {
        env: { ...process.env, RSN_NATIVE_ADDON: b.addonPath, RSN_NATIVE_THREADS: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
      });
      if (timed.status !== 0) throw new Error(`bench:libraries: timing the products on ${b.library} failed (exit ${timed.status})`);
      products.get(b.library)!.push((JSON.parse(timed.stdout) as { best: Record<string, number> }).best);
    }
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  for (const b of builds) rmSync(b.folder, { recursive: true, force: true });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** One report per build: the best peak of its rounds, and per item the median of the rounds' figures. */
function merged(runs: Report[]): Report {
  const first = runs[0]!;
  const items: ItemResult[] = first.items.map((item) => {
    const all = runs.map((r) => r.items.find((i) => i.name === item.name)!);
    return {
      name: item.name, medianMs: median(all.map((i) => i.medianMs)), meanMs: median(all.map((i) => i.meanMs)),
      minMs: Math.min(...all.map((i) => i.minMs)), cpuMs: median(all.map((i) => i.cpuMs)), runs: all.reduce((n, i) => n + i.runs, 0),
    };
  });
  const peak = runs.map((r) => r.peak).reduce((a, b) => (b.gflops > a.gflops ? b : a));
  return { ...first, peak, items };
}

const results = [...reports.values()].map(merged);
process.stdout.write(`native backend, matrix products on each library; ${rounds} round(s) alternating the builds` +
  `${values.quick ? ' (--quick)' : ''}; ${cpus()[0]?.model ?? '?'} x${cpus().length}, load average ${loadBefore.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`);
process.stdout.write(boundTable(results));

/** The step's products on each build: best CPU time per product over the rounds, with GFLOP/s. */
const labels = Object.keys([...products.values()][0]?.[0] ?? {});
const libs = [...products.keys()];
process.stdout.write(`\nproducts of the step (lane layout), best CPU time: ${libs.map((l) => `${l} us (GFLOP/s)`).join(' | ')}\n`);
for (const label of labels) {
  const [, m, n, k] = STEP_PRODUCTS.find(([l]) => l === label)!;
  const cells = libs.map((l) => {
    const ms = Math.min(...products.get(l)!.map((p) => p[label]!));
    return `${(ms * 1e3).toFixed(1).padStart(7)} (${((2 * m * n * k) / ms / 1e6).toFixed(0).padStart(3)})`;
  });
  process.stdout.write(`${label.padEnd(28)} ${cells.join(' | ')}\n`);
}
if (values.json) writeFileSync(values.json, `${JSON.stringify({ rounds, load: [loadBefore, loadavg()[0]], reports: Object.fromEntries(reports) }, null, 2)}\n`);
