/**
 * npm run bench:models [-- --backend native] [--models dense-300-100,lenet5,cnn-madry] [--steps natural,fgsm,pgd]
 *                        [--rounds 3] [--seconds 1] [--json FILE]
 *
 * Per-step times of the natural, FGSM and PGD-10 training steps of each model at batch 60 (the peers' workload,
 * benchmarks/perf/peers/workload.ts: Adam, kernels 80% masked), side by side in one run, with each step's
 * arithmetic counted from the primitives it runs (arithmetic.ts) and the rate that gives. Models and steps take
 * turns over the rounds, so that load from other processes spreads over all of them; the table gives the median
 * over every round of wall time and of this process's CPU time per step.
 */
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadBackend } from '../../../backends/registry.js';
import { setActiveBackend } from '../../../core/autodiff/engine.js';
import { modelSpec } from '../../../core/nn/model.js';
import { BATCH, createWorkload, STEPS, type StepName, type Workload } from '../peers/workload.js';
import { countingBackend, gflops } from './arithmetic.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'native' },
    models: { type: 'string', default: 'dense-300-100,lenet5,cnn-madry' },
    steps: { type: 'string', default: STEPS.join(',') },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '1' },
    json: { type: 'string' },
  },
});
const models = values.models.split(',').map(modelSpec);
const steps = values.steps.split(',') as StepName[];
const unknown = steps.filter((s) => !STEPS.includes(s));
if (unknown.length) {
  process.stderr.write(`bench:models: unknown step '${unknown[0]}': use some of ${STEPS.join(', ')}\n`);
  process.exit(2);
}
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);

const backend = await loadBackend(values.backend);

/** FLOP of one step of each kind, counted on a workload of its own (the timed ones are not disturbed). */
function countArithmetic(name: string): Map<StepName, number> {
  const counter = countingBackend(backend);
  setActiveBackend(counter.backend);
  const workload = createWorkload(modelSpec(name));
  const flop = new Map<StepName, number>();
  for (const step of steps) {
    counter.reset();
    workload.step(step);
    flop.set(step, counter.flop());
  }
  workload.dispose();
  return flop;
}
const arithmetic = new Map(models.map((m) => [m.name, countArithmetic(m.name)]));

setActiveBackend(backend);
const workloads = new Map<string, Workload>(models.map((m) => [m.name, createWorkload(m)]));
const wall = new Map<string, number[]>();
const cpu = new Map<string, number[]>();
const key = (model: string, step: StepName) => `${model}/${step}`;
const loadBefore = loadavg()[0]!;

for (const [name, workload] of workloads) for (const step of steps) workload.step(step); // warm-up
for (let round = 1; round <= rounds; round++) {
  for (const [name, workload] of workloads) {
    process.stderr.write(`round ${round}/${rounds}: ${name}\n`);
    for (const step of steps) {
      const deadline = performance.now() + seconds * 1000;
      const [w, c] = [wall.get(key(name, step)) ?? [], cpu.get(key(name, step)) ?? []];
      for (let runs = 0; runs < 3 || performance.now() < deadline; runs++) {
        const [start, startCpu] = [performance.now(), process.cpuUsage()];
        workload.step(step);
        const used = process.cpuUsage(startCpu);
        w.push(performance.now() - start);
        c.push((used.user + used.system) / 1000);
      }
      wall.set(key(name, step), w);
      cpu.set(key(name, step), c);
    }
  }
}
for (const workload of workloads.values()) workload.dispose();

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const header = ['model'.padEnd(14), 'step'.padEnd(8), 'MFLOP'.padStart(9), 'median ms'.padStart(10), 'cpu ms'.padStart(9), 'GFLOP/s (cpu)'.padStart(14), 'runs'.padStart(5)];
const lines = [header.join(' | ')];
const rows: Record<string, unknown>[] = [];
for (const m of models) {
  for (const step of steps) {
    const flop = arithmetic.get(m.name)!.get(step)!;
    const [w, c] = [median(wall.get(key(m.name, step))!), median(cpu.get(key(m.name, step))!)];
    rows.push({ model: m.name, step, flop, medianMs: w, cpuMs: c, runs: wall.get(key(m.name, step))!.length });
    lines.push([
      m.name.padEnd(14), step.padEnd(8), (flop / 1e6).toFixed(1).padStart(9), w.toFixed(2).padStart(10), c.toFixed(2).padStart(9),
      gflops(flop, c).toFixed(2).padStart(14), String(wall.get(key(m.name, step))!.length).padStart(5),
    ].join(' | '));
  }
}
console.log(`\ntraining steps at batch ${BATCH} on '${backend.name}' (Adam, kernels 80% masked; pgd = PGD-10); ${rounds} rounds x ${seconds} s per step`);
console.log(`machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, node ${process.version}, load average ${loadBefore.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
console.log(lines.join('\n'));
console.log('(MFLOP: the step\'s matrix products and convolutions, 2 per multiply-add, the attack included; GFLOP/s from CPU time)');
if (values.json) writeFileSync(values.json, `${JSON.stringify({ backend: backend.name, rounds, seconds, load: [loadBefore, loadavg()[0]], rows }, null, 2)}\n`);
backend.close?.();
