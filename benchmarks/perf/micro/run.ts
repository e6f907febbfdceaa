/**
 * npm run bench:micro [-- --backend wasm] [--out results/x.json] [--eval-images 10000] [--quick] [--only TEXT] [--trials 1,5,30] [--audit] [--models]
 *
 * Times the dense-300-100 workloads (benchmarks/perf/micro/items.ts) with tinybench on each backend and writes the
 * figures as JSON (default results/bench-micro-<backend>.json). Without --backend it runs every registered
 * backend that loads here, each in a child process of its own (tfjs allows one backend per process), and
 * prints a table of medians side by side. The natural, FGSM and PGD-10 steps are also timed at 100, 51.3, 16.9,
 * 8.7, 3.6 and 1.8% of weights remaining (random masks of those pruning rounds), the sparse backends' workload;
 * --only TEXT (repeatable) times just the items whose names contain one of the TEXTs.
 *
 * Each backend's run also measures the single-core peak of its matrix product (bound.ts: the best of a few
 * [1024, 1024] x [1024, 1024] products, before and after the items) and prints, for the natural, FGSM and PGD-10
 * steps, their arithmetic, the time it takes at that peak (the bound) and each step's ratio to it.
 *
 * --audit also prices rsn audit's default ladder, rung by rung, on the backend (audit-ladder.ts: 1,000 images at
 * every rung's full effort, projected to 10,000; about a minute of CPU on native). --models also times the
 * natural, FGSM and PGD-10 steps of every model (model-steps.ts, one round: dense-300-100, lenet5, cnn-madry,
 * their arithmetic and rate).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Bench, hrtimeNow } from 'tinybench';
import { backendEntries, loadBackend } from '../../../backends/registry.js';
import { setActiveBackend } from '../../../core/autodiff/engine.js';
import { BackendError } from '../../../core/errors.js';
import { measurePeak } from './bound.js';
import { workloads } from './items.js';
import { boundTable, type ItemResult, type Report } from './report.js';
import { trialItems } from './trial-items.js';

/** Whole-step targets for wasm at batch 60 on one core (the issue's goals). */
const TARGETS: Record<string, number> = { 'natural training step': 7, 'PGD-10 adversarial step': 45 };

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', multiple: true },
    out: { type: 'string' },
    'eval-images': { type: 'string', default: '10000' },
    'eval-batch': { type: 'string', default: '1000' },
    quick: { type: 'boolean', default: false },
    trials: { type: 'string' },
    only: { type: 'string', multiple: true },
    audit: { type: 'boolean', default: false },
    models: { type: 'boolean', default: false },
  },
});
/** --trials 1,5,30: also time stacked steps of that many networks (per trial-step). */
const trialCounts = (args.trials ?? '').split(',').filter((t) => t.trim() !== '').map(Number);
if (trialCounts.some((t) => !Number.isInteger(t) || t < 1)) {
  process.stderr.write(`bench:micro: --trials takes whole numbers >= 1 separated by commas, e.g. --trials 1,5,30; got '${args.trials}'\n`);
  process.exit(2);
}
const evalImages = args.quick ? 1000 : Number(args['eval-images']);
const evalBatch = Number(args['eval-batch']);
const defaultOut = (backend: string) => `results/bench-micro-${backend}.json`;

async function benchmark(name: string): Promise<Report> {
  const backend = await loadBackend(name);
  setActiveBackend(backend);
  const start = loadavg();
  const peakBefore = measurePeak();
  const base = workloads(evalImages, evalBatch);
  const stacked = trialCounts.map(trialItems);
  const items = [...base.items, ...stacked.flatMap((s) => s.items)];
  const dispose = () => [base, ...stacked].forEach((w) => w.dispose());
  const results: ItemResult[] = [];
  const selected = args.only ? items.filter((i) => args.only!.some((text) => i.name.includes(text))) : items;
  for (const item of selected) {
    const scale = args.quick ? 0.3 : 1;
    const bench = new Bench({
      now: hrtimeNow, time: item.budgetMs * scale, iterations: Math.max(1, Math.round(item.minRuns * scale)),
      warmup: item.warmup, warmupIterations: 2, warmupTime: 0, throws: true,
    });
    let cpu = 0;
    let startCpu = process.cpuUsage();
    bench.add(item.name, item.run, {
      beforeAll: (mode) => void (mode !== 'warmup' && (startCpu = process.cpuUsage())),
      afterAll: (mode) => {
        if (mode === 'warmup') return;
        const used = process.cpuUsage(startCpu);
        cpu = (used.user + used.system) / 1000;
      },
    });
    const [task] = await bench.run();
    const r = task!.result!;
    const runs = r.latency.samples.length;
    const per = item.perRun ?? 1;
    const median = (r.latency.p50 ?? r.latency.mean) / per;
    results.push({ name: item.name, medianMs: median, meanMs: r.latency.mean / per, minMs: r.latency.min / per, cpuMs: cpu / runs / per, runs });
    process.stderr.write(`  ${name}: ${item.name} ${median.toFixed(2)} ms\n`);
  }
  dispose();
  const peakAfter = measurePeak();
  const products = (backend as { products?: () => { config: string } }).products?.().config;
  return {
    backend: name, date: new Date().toISOString(), node: process.version, cpu: `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`,
    loadavg: { start, end: loadavg() }, evalImages, peak: peakBefore.gflops >= peakAfter.gflops ? peakBefore : peakAfter,
    ...(products ? { library: products } : {}), items: results,
  };
}

function table(reports: Report[]): string {
  const names = reports[0]?.items.map((i) => i.name) ?? [];
  const width = Math.max(...names.map((n) => n.length), 4);
  const head = ['item'.padEnd(width), ...reports.map((r) => `${r.backend} median ms (cpu ms)`.padStart(28)), 'wasm target'.padStart(11)];
  const lines = [head.join(' | ')];
  for (const name of names) {
    const cells = reports.map((r) => {
      const i = r.items.find((x) => x.name === name);
      return (i ? `${i.medianMs.toFixed(2)} (${i.cpuMs.toFixed(2)})` : '-').padStart(28);
    });
    lines.push([name.padEnd(width), ...cells, (TARGETS[name] ? `<= ${TARGETS[name]}` : '').padStart(11)].join(' | '));
  }
  const loads = reports.map((r) => `${r.backend}: ${r.loadavg.start.map((l) => l.toFixed(2)).join('/')}`).join(', ');
  return `${lines.join('\n')}\n(median wall time over the runs, CPU time of the process per run in brackets; load averages at start ${loads})\n`;
}

const AUDIT_HEADING = 'rsn audit\'s default ladder';
const MODELS_HEADING = 'every model\'s steps';

/** A companion benchmark of this directory on one backend, its output under a heading of its own. */
function companion(backend: string, heading: string, file: string, extra: readonly string[]): void {
  process.stdout.write(`\n${heading} on ${backend} (benchmarks/perf/micro/${file} ${extra.join(' ')}):\n`);
  const script = fileURLToPath(new URL(`./${file}`, import.meta.url));
  const child = spawnSync(process.execPath, [...process.execArgv, script, '--backend', backend, ...extra], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`bench:micro: ${file} on '${backend}' failed (exit ${child.status}); its message is above`);
  process.stdout.write(child.stdout);
}

function write(report: Report, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
}

if (args.backend?.length === 1) {
  const name = args.backend[0]!;
  try {
    const report = await benchmark(name);
    write(report, args.out ?? defaultOut(name));
    process.stdout.write(table([report]) + boundTable([report]));
    if (args.audit) companion(name, AUDIT_HEADING, 'audit-ladder.ts', ['--batch', '1000']);
    if (args.models) companion(name, MODELS_HEADING, 'model-steps.ts', ['--rounds', '1', '--seconds', '1']);
  } catch (error) {
    if (!(error instanceof BackendError)) throw error;
    process.stderr.write(`bench:micro: ${error.message}\n`);
    process.exitCode = 3;
  }
} else {
  // Several backends: one child process each (one tfjs backend per process).
  const names = args.backend ?? backendEntries().map((e) => e.name);
  const self = fileURLToPath(import.meta.url);
  const reports: Report[] = [];
  for (const name of names) {
    const extra = [
      ...(args.quick ? ['--quick'] : []), ...(args.audit ? ['--audit'] : []), ...(args.models ? ['--models'] : []), ...(args.trials ? ['--trials', args.trials] : []), ...(args.only ?? []).flatMap((text) => ['--only', text]),
      '--eval-images', String(evalImages), '--eval-batch', String(evalBatch),
    ];
    const child = spawnSync(process.execPath, [...process.execArgv, self, '--backend', name, '--out', defaultOut(name), ...extra], {
      stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8',
    });
    if (child.status !== 0) {
      process.stderr.write(`bench:micro: backend '${name}' skipped (${child.status === 3 ? 'it does not load here' : `exit ${child.status}`})\n`);
      continue;
    }
    reports.push(JSON.parse(readFileSync(defaultOut(name), 'utf8')) as Report);
    const companions = [AUDIT_HEADING, MODELS_HEADING].map((h) => child.stdout.indexOf(`\n${h}`)).filter((at) => at >= 0);
    if (companions.length > 0) process.stdout.write(child.stdout.slice(Math.min(...companions)));
  }
  process.stdout.write(table(reports) + boundTable(reports));
}
