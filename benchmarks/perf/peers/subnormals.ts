/**
 * npx tsx benchmarks/perf/peers/subnormals.ts [--steps 1600] [--every 100] [--workload peers|micro]
 *
 * Subnormal floats in Adam's moments over the peer workload's training (workload.ts: one fixed batch, trained on
 * again and again, as bench:peers' worker does, natural steps first), or over bench:micro's natural step (its
 * own fixed batch: micro/items.ts), on the native backend: per window of
 * `every` steps, the mean count of subnormal m and v values Adam reads per step and the mean CPU time of its
 * kernel. Weights whose gradient stops (into ReLU units the fixed batch leaves dead) keep a first moment that
 * shrinks by beta1 = 0.9 per step into float32's subnormal range; a CPU that takes a microcode assist for
 * subnormal operands (Intel's, without flush-to-zero) then pays for it in every step's Adam
 * (docs/performance-native.md).
 */
import { parseArgs } from 'node:util';
import type { Backend } from '../../../core/autodiff/backend.js';
import { setActiveBackend } from '../../../core/autodiff/engine.js';
import { createNativeBackend, type NativeHandle } from '../../../backends/native/index.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { workloads } from '../micro/items.js';
import { createWorkload } from './workload.js';

const { values } = parseArgs({
  options: { steps: { type: 'string', default: '1600' }, every: { type: 'string', default: '100' }, workload: { type: 'string', default: 'peers' } },
});
const [steps, every] = [Number(values.steps), Number(values.every)];

const SMALLEST_NORMAL = 2 ** -126;
const subnormals = (values: Float32Array): number => {
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]!);
    if (v !== 0 && v < SMALLEST_NORMAL) n++;
  }
  return n;
};

const native = createNativeBackend();
const kernels = native.custom as LibraryKernels<NativeHandle>;
const adam = kernels.adam!;
let window = { count: 0, cpuMs: 0 };
const counted: LibraryKernels<NativeHandle> = {
  ...kernels,
  adam: (named, attrs) => {
    window.count += subnormals(named.m.handle as Float32Array) + subnormals(named.v.handle as Float32Array);
    const start = process.cpuUsage();
    const out = adam(named, attrs);
    const used = process.cpuUsage(start);
    window.cpuMs += (used.user + used.system) / 1000;
    return out;
  },
};
setActiveBackend({ ...native, custom: counted as Backend<NativeHandle>['custom'] });
if (values.workload !== 'peers' && values.workload !== 'micro') {
  process.stderr.write(`subnormals: --workload is peers or micro; got '${values.workload}'\n`);
  process.exit(2);
}
const [step, dispose] = values.workload === 'peers'
  ? ((w) => [() => w.step('natural'), () => w.dispose()] as const)(createWorkload())
  : ((w) => [w.items.find((i) => i.name === 'natural training step')!.run, () => w.dispose()] as const)(workloads(0, 1000));
process.stdout.write(`${values.workload} workload, natural steps on one fixed batch; per step: subnormal Adam moments read, Adam's CPU time (ms)\n`);
for (let start = 0; start < steps; start += every) {
  window = { count: 0, cpuMs: 0 };
  for (let s = 0; s < every; s++) step();
  process.stdout.write(`steps ${String(start).padStart(5)}-${String(start + every - 1).padEnd(5)} ${(window.count / every).toFixed(0).padStart(8)} ${(window.cpuMs / every).toFixed(3).padStart(8)}\n`);
}
dispose();
