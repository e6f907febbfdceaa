/**
 * npm run bench:conv [-- --backend wasm] [--runs 20] [--batch 60]
 *
 * The optional primitives of LeNet-5's two convolutional layers at a training batch (x [60,28,28,1] with a
 * [5,5,1,6] filter, 'same'; x [60,14,14,6] with a [5,5,6,16] filter, 'valid') and of its two 2x2 poolings, on
 * one backend with its own kernels against the same backend without them (withoutOptionalPrimitives: the core
 * reads the inputs, runs the host kernels of core/autodiff/host-kernels and uploads the result). Each
 * primitive is timed alone, and a layer's primitives together (conv2d and both gradients: a training step's
 * convolution work). On wasm, a second table times the two gradients as the backend computes them (from
 * Conv2D, backends/tfjs/convolution.ts) against tfjs-wasm's dedicated kernels, Conv2DBackpropInput and
 * Conv3DBackpropFilterV2 (it has no Conv2DBackpropFilter).
 * The two sides of a row alternate run by run in this process, so that both see the same load; the tables give
 * median wall and CPU milliseconds per run and the ratios. A backend whose reads are asynchronous (webgpu) has
 * no host fallback to compare with.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Tensor as TfTensor } from '@tensorflow/tfjs-core';
import { loadBackend } from '../../../backends/registry.js';
import type { TfjsBackend } from '../../../backends/tfjs/adapter.js';
import { withoutOptionalPrimitives, type Backend } from '../../../core/autodiff/backend.js';
import { disposeAll, fromHost, setActiveBackend } from '../../../core/autodiff/engine.js';
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

/** One primitive on a workload's uploaded inputs (x, filter, dy for a convolution; x, dy for a pooling). */
interface Part {
  readonly name: string;
  readonly run: (...inputs: Tensor[]) => Tensor;
}

interface Workload {
  readonly name: string;
  readonly padding?: ConvPadding;
  readonly inputs: readonly { values: Float32Array; shape: Shape }[];
  readonly parts: readonly Part[];
}

const rng = new Rng(60);
const random = (shape: Shape) => ({ values: rng.uniformArray(sizeOf(shape), -1, 1), shape });

function convolution(name: string, x: Shape, filter: Shape, padding: ConvPadding): Workload {
  return {
    name: `${name}: x [${x}] filter [${filter}] '${padding}'`,
    padding,
    inputs: [random(x), random(filter), random(conv2dShape(x, filter, padding))],
    parts: [
      { name: 'conv2d', run: (xt, ft) => op.conv2d(xt!, ft!, padding) },
      { name: 'conv2dInputGrad', run: (_, ft, dy) => op.conv2dInputGrad(dy!, ft!, padding, x) },
      { name: 'conv2dFilterGrad', run: (xt, _, dy) => op.conv2dFilterGrad(xt!, dy!, padding, filter) },
    ],
  };
}

function pooling(name: string, x: Shape): Workload {
  return {
    name: `${name}: x [${x}] 2x2`,
    inputs: [random(x), random(maxPoolShape(x, 2))],
    parts: [{ name: 'maxPool', run: (xt) => op.maxPool(xt!, 2) }, { name: 'maxPoolGrad', run: (xt, dy) => op.maxPoolGrad(xt!, dy!, 2) }],
  };
}

const CONVOLUTIONS = [
  convolution('layer 1', [batch, 28, 28, 1], [5, 5, 1, 6], 'same'),
  convolution('layer 2', [batch, 14, 14, 6], [5, 5, 6, 16], 'valid'),
];
const POOLINGS = [pooling('pool 1', [batch, 28, 28, 6]), pooling('pool 2', [batch, 10, 10, 16])];

interface Times {
  readonly wall: number[];
  readonly cpu: number[];
}
const empty = (): Times => ({ wall: [], cpu: [] });
/** A way to compute one row's result: the side's backend is made active, then run() is timed with its disposal. */
type Side = readonly [Backend, () => { dispose(): void }];

function time(side: Side, into: Times): void {
  setActiveBackend(side[0]);
  const cpu = process.cpuUsage();
  const start = performance.now();
  side[1]().dispose();
  into.wall.push(performance.now() - start);
  const used = process.cpuUsage(cpu);
  into.cpu.push((used.user + used.system) / 1000);
}

/** Time every row's two sides, alternating, after two unmeasured runs of each (set-up on first use). */
function sideBySide(rows: readonly (readonly [Side, Side])[]): [Times, Times][] {
  const times = rows.map((): [Times, Times] => [empty(), empty()]);
  for (let r = -2; r < runs; r++) {
    rows.forEach(([a, b], k) => {
      time(a, r < 0 ? empty() : times[k]![0]);
      time(b, r < 0 ? empty() : times[k]![1]);
    });
  }
  return times;
}

/** Times of several rows added up run by run (the rows ran in the same round of the alternation). */
const sum = (rows: readonly Times[]): Times => ({
  wall: Array.from({ length: runs }, (_, r) => rows.reduce((s, t) => s + t.wall[r]!, 0)),
  cpu: Array.from({ length: runs }, (_, r) => rows.reduce((s, t) => s + t.cpu[r]!, 0)),
});

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const out = (line = '') => process.stdout.write(`${line}\n`);
const cell = (t: Times) => `${median(t.wall).toFixed(2)} (${median(t.cpu).toFixed(2)})`;
const ratios = ([a, b]: [Times, Times]) => `${(median(b.wall) / median(a.wall)).toFixed(1)} | ${(median(b.cpu) / median(a.cpu)).toFixed(1)}`;
const row = (cells: readonly string[], t: [Times, Times]) => out(`| ${cells.join(' | ')} | ${cell(t[0])} | ${cell(t[1])} | ${ratios(t)} |`);

const kernels = await loadBackend(args.backend);
const fallback = withoutOptionalPrimitives(kernels);
const upload = (backend: Backend, w: Workload): Tensor[] => (setActiveBackend(backend), w.inputs.map((i) => fromHost(i.values, i.shape)));

out(`backend '${kernels.name}' (own kernels: ${[...(kernels.optionalPrimitives ?? [])].sort().join(', ') || 'none'}); ` +
  `${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
out(`${runs} runs of each side, alternating; median milliseconds per run, wall (CPU)\n`);
out('| workload | primitive | own kernels | host fallback | fallback / own (wall) | fallback / own (CPU) |');
out('|---|---|---|---|---|---|');
for (const w of [...CONVOLUTIONS, ...POOLINGS]) {
  const [mine, host] = [upload(kernels, w), upload(fallback, w)];
  const times = sideBySide(w.parts.map((p) => [[kernels, () => p.run(...mine)], [fallback, () => p.run(...host)]] as const));
  disposeAll([mine, host]);
  w.parts.forEach((p, k) => row([w.name, p.name], times[k]!));
  row([w.name, '**all of them**'], [sum(times.map((t) => t[0])), sum(times.map((t) => t[1]))]);
}

if (kernels.name === 'wasm') {
  const tf = (kernels as TfjsBackend).tf;
  const tfKernel = (name: string, inputs: Record<string, TfTensor>, attrs: Record<string, unknown>) => tf.engine().runKernel(name, inputs, attrs as never) as TfTensor;
  out("\nThe gradients as wasm computes them (from Conv2D) against tfjs-wasm's dedicated kernels\n");
  out("| workload | gradient | from Conv2D | tfjs-wasm's kernel | kernel / Conv2D (wall) | kernel / Conv2D (CPU) |");
  out('|---|---|---|---|---|---|');
  for (const w of CONVOLUTIONS) {
    const [x, filter, dy] = upload(kernels, w);
    const [xs, fs, ys] = [x!.shape, filter!.shape, dy!.shape];
    const dedicated = {
      input: () => tfKernel('Conv2DBackpropInput', { dy: dy!.handle as TfTensor, filter: filter!.handle as TfTensor }, { strides: [1, 1], pad: w.padding, dataFormat: 'NHWC', inputShape: [...xs] }),
      filter: () => {
        const [x5, dy5] = [tf.reshape(x!.handle as TfTensor, [xs[0]!, 1, xs[1]!, xs[2]!, xs[3]!]), tf.reshape(dy!.handle as TfTensor, [ys[0]!, 1, ys[1]!, ys[2]!, ys[3]!])];
        const result = tfKernel('Conv3DBackpropFilterV2', { x: x5, dy: dy5 }, { strides: [1, 1, 1, 1, 1], pad: w.padding, filterShape: [1, ...fs] });
        [x5, dy5].forEach((t) => t.dispose());
        return result;
      },
    };
    const times = sideBySide([
      [[kernels, () => w.parts[1]!.run(x!, filter!, dy!)], [kernels, dedicated.input]],
      [[kernels, () => w.parts[2]!.run(x!, filter!, dy!)], [kernels, dedicated.filter]],
    ]);
    disposeAll([x, filter, dy]);
    row([w.name, 'conv2dInputGrad (Conv2DBackpropInput)'], times[0]!);
    row([w.name, 'conv2dFilterGrad (Conv3DBackpropFilterV2)'], times[1]!);
  }
}
out(`\nload average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
kernels.close?.();
