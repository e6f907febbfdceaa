/**
 * npm run bench:conv [-- --backend wasm] [--runs 20] [--batch 60]
 *
 * The optional primitives of LeNet-5's two convolutional layers at a training batch (x [60,28,28,1] with a
 * [5,5,1,6] filter, 'same'; x [60,14,14,6] with a [5,5,6,16] filter, 'valid'), and its two 2x2 poolings, on one
 * backend with its own kernels against the same backend without them (withoutOptionalPrimitives: the core
 * reads the inputs, runs the host kernels of core/autodiff/host-kernels and uploads the result). One run of a
 * layer is conv2d, conv2dInputGrad and conv2dFilterGrad (a training step's convolution work), or maxPool and
 * maxPoolGrad. The two variants alternate run by run in this process, so that both see the same load; the table
 * gives median wall and CPU milliseconds per run and the ratio fallback / kernels. A backend whose reads are
 * asynchronous (webgpu) has no fallback to compare with.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { loadBackend } from '../../../backends/registry.js';
import { withoutOptionalPrimitives, type Backend } from '../../../core/autodiff/backend.js';
import { disposeAll, fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { ConvPadding, Shape } from '../../../core/autodiff/primitives.js';
import { conv2dShape, maxPoolShape, sizeOf } from '../../../core/autodiff/shapes.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { Rng } from '../../../core/nn/rng.js';

const { values: args } = parseArgs({
  options: { backend: { type: 'string', default: 'wasm' }, runs: { type: 'string', default: '20' }, batch: { type: 'string', default: '60' } },
});
const runs = Number(args.runs);
const batch = Number(args.batch);
if (!(Number.isInteger(runs) && runs >= 1 && Number.isInteger(batch) && batch >= 1)) {
  process.stderr.write(`bench:conv: --runs and --batch take whole numbers >= 1, got --runs ${args.runs} --batch ${args.batch}\n`);
  process.exit(2);
}

interface Workload {
  readonly name: string;
  /** Host inputs, uploaded once per variant. */
  readonly inputs: readonly { values: Float32Array; shape: Shape }[];
  /** The primitives of one run, on tensors of the active variant. */
  readonly run: (...xs: Tensor[]) => Tensor[];
}

const rng = new Rng(60);
const random = (shape: Shape) => ({ values: rng.uniformArray(sizeOf(shape), -1, 1), shape });

function convolution(name: string, x: Shape, filter: Shape, padding: ConvPadding): Workload {
  return {
    name: `${name}: conv2d + both gradients, x [${x}] filter [${filter}] '${padding}'`,
    inputs: [random(x), random(filter), random(conv2dShape(x, filter, padding))],
    run: (xt, ft, dy) => [op.conv2d(xt!, ft!, padding), op.conv2dInputGrad(dy!, ft!, padding, x), op.conv2dFilterGrad(xt!, dy!, padding, filter)],
  };
}

function pooling(name: string, x: Shape): Workload {
  return {
    name: `${name}: maxPool + its gradient, x [${x}] 2x2`,
    inputs: [random(x), random(maxPoolShape(x, 2))],
    run: (xt, dy) => [op.maxPool(xt!, 2), op.maxPoolGrad(xt!, dy!, 2)],
  };
}

const WORKLOADS: Workload[] = [
  convolution('layer 1', [batch, 28, 28, 1], [5, 5, 1, 6], 'same'),
  convolution('layer 2', [batch, 14, 14, 6], [5, 5, 6, 16], 'valid'),
  pooling('pool 1', [batch, 28, 28, 6]),
  pooling('pool 2', [batch, 10, 10, 16]),
];

interface Times {
  wall: number[];
  cpu: number[];
}

/** One run of `w` on `backend` with its uploaded tensors: wall and CPU milliseconds. */
function timeRun(backend: Backend, w: Workload, tensors: Tensor[], into: Times): void {
  setActiveBackend(backend);
  const cpu = process.cpuUsage();
  const start = performance.now();
  disposeAll(tidy(() => w.run(...tensors)));
  into.wall.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  into.cpu.push((used.user + used.system) / 1000);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const kernels = await loadBackend(args.backend);
const fallback = withoutOptionalPrimitives(kernels);
const own = [...(kernels.optionalPrimitives ?? [])].sort().join(', ') || 'none';
const out = (line = '') => process.stdout.write(`${line}\n`);
out(`backend '${kernels.name}' (own kernels: ${own}); ${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
out(`${runs} runs of each variant, alternating; median milliseconds per run, wall (CPU)\n`);
out('| workload | own kernels | host fallback | fallback / own (wall) | fallback / own (CPU) |');
out('|---|---|---|---|---|');
for (const w of WORKLOADS) {
  const upload = (backend: Backend) => (setActiveBackend(backend), w.inputs.map((i) => fromHost(i.values, i.shape)));
  const [mine, host] = [upload(kernels), upload(fallback)];
  const times = { mine: { wall: [], cpu: [] } as Times, host: { wall: [], cpu: [] } as Times };
  // Two unmeasured runs each first (tfjs and the code generators set up on first use).
  for (let r = -2; r < runs; r++) {
    const into = (t: Times): Times => (r < 0 ? { wall: [], cpu: [] } : t);
    timeRun(kernels, w, mine, into(times.mine));
    timeRun(fallback, w, host, into(times.host));
  }
  disposeAll([mine, host]);
  const cell = (t: Times) => `${median(t.wall).toFixed(2)} (${median(t.cpu).toFixed(2)})`;
  out(`| ${w.name} | ${cell(times.mine)} | ${cell(times.host)} | ${(median(times.host.wall) / median(times.mine.wall)).toFixed(1)} | ${(median(times.host.cpu) / median(times.mine.cpu)).toFixed(1)} |`);
}
out(`\nload average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
kernels.close?.();
