/**
 * Times the peer workload (workload.ts) on one backend, in a process of its own (tfjs backends need one).
 * Usage: tsx benchmarks/perf/peers/worker.ts <backend>[:unfused] [--model M] [--seconds S] [--min-iterations N]
 *        [--steps a,b]
 * `:unfused` runs the backend without its custom kernels (the core runs their primitive compositions); --model
 * names the model (default dense-300-100).
 * Prints one JSON line: { peer, model, steps: { <step>: sorted times in ms } }.
 */
import { parseArgs } from 'node:util';
import { loadBackend } from '../../../backends/registry.js';
import { withoutCustomKernels } from '../../../core/autodiff/backend.js';
import { setActiveBackend } from '../../../core/autodiff/engine.js';
import { modelSpec } from '../../../core/nn/model.js';
import { createWorkload, STEPS, type StepName } from './workload.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    seconds: { type: 'string', default: '3' },
    'min-iterations': { type: 'string', default: '20' },
    steps: { type: 'string', default: STEPS.join(',') },
    model: { type: 'string', default: 'dense-300-100' },
  },
});
const [name, variant] = (positionals[0] ?? 'native').split(':') as [string, string | undefined];
const seconds = Number(values.seconds);
const minIterations = Number(values['min-iterations']);
const steps = values.steps.split(',') as StepName[];

const loaded = await loadBackend(name);
const backend = variant === 'unfused' ? withoutCustomKernels(loaded) : loaded;
setActiveBackend(backend);
const workload = createWorkload(modelSpec(values.model));
const results: Partial<Record<StepName, number[]>> = {};
for (const step of steps) {
  for (let i = 0; i < 5; i++) workload.step(step);
  const times: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (times.length < minIterations || performance.now() < deadline) {
    const start = performance.now();
    workload.step(step);
    times.push(performance.now() - start);
  }
  results[step] = times.sort((a, b) => a - b);
}
workload.dispose();
backend.close?.();
process.stdout.write(`${JSON.stringify({ peer: positionals[0], model: values.model, steps: results })}\n`);
