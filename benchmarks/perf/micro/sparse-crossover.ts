/**
 * npx tsx benchmarks/perf/micro/sparse-crossover.ts [--batch 60] [--reps 100]
 *
 * Measures where the native backend's sparse kernels (native/src/sparse.c) start to beat OpenBLAS's sgemm, for
 * each layer shape of dense-300-100 and the three products a masked weight enters, as the fused MLP kernels run
 * them (backends/native/mlp.ts, operands in the lane layout): x @ E (forward), g @ E^T (input gradient) and
 * h^T g (weight gradient: at the kept positions only against the whole sgemm). Times are CPU time of this
 * process per call (medians of 9 batches of --reps calls), which a machine shared with other work disturbs less
 * than wall time. Prints each against the mask's density and the highest density at which the sparse kernel
 * wins; the backend's thresholds (backends/native/crossover.ts) were set from this.
 */
import { parseArgs } from 'node:util';
import { loadAddon } from '../../../backends/native/addon.js';
import { blockedLists, maskLayout } from '../../../backends/native/layout.js';
import { Rng } from '../../../core/nn/rng.js';

const { values: args } = parseArgs({ options: { batch: { type: 'string', default: '60' }, reps: { type: 'string', default: '100' } } });
const m = Number(args.batch);
const reps = Number(args.reps);
const addon = loadAddon();
const lanes = addon.lanes(m);
const rng = new Rng(3);
const SHAPES: [number, number][] = [[784, 300], [300, 100], [100, 10]];
const DENSITIES = [1, 0.5, 0.3, 0.25, 0.2, 0.15, 0.1, 0.07, 0.05, 0.02, 0.01];
const KINDS = ['forward', 'inputGrad', 'weightGrad'] as const;

function cpuTime(fn: () => void): number {
  for (let i = 0; i < 5; i++) fn();
  const samples: number[] = [];
  for (let s = 0; s < 9; s++) {
    const start = process.cpuUsage();
    for (let i = 0; i < reps; i++) fn();
    const used = process.cpuUsage(start);
    samples.push((used.user + used.system) / reps);
  }
  return samples.sort((a, b) => a - b)[4]!;
}

const lines: string[] = [];
for (const [k, n] of SHAPES) {
  const xT = rng.uniformArray(k * lanes, -1, 1);
  const gT = rng.uniformArray(n * lanes, -1, 1);
  const w = rng.uniformArray(k * n, -1, 1);
  const [yT, dxT, dw] = [new Float32Array(n * lanes), new Float32Array(k * lanes), new Float32Array(k * n)];
  const dense = {
    forward: cpuTime(() => addon.matmul(w, xT, yT, n, lanes, k, 1, 0)),
    inputGrad: cpuTime(() => addon.matmul(w, gT, dxT, k, lanes, n, 0, 0)),
    weightGrad: cpuTime(() => addon.matmul(xT, gT, dw, k, n, lanes, 0, 1)),
  };
  const wins = { forward: 0, inputGrad: 0, weightGrad: 0 };
  for (const density of DENSITIES) {
    const mask = Float32Array.from({ length: k * n }, () => (rng.next() < density ? 1 : 0));
    const L = maskLayout(mask, k, n);
    const vals = new Float32Array(L.nnz);
    addon.gatherAt(w, L.flat, vals);
    const [csc, csr] = [blockedLists(L, 'csc'), blockedLists(L, 'csr')];
    const sparse = {
      forward: cpuTime(() => addon.sparseLanes(xT, lanes, k, vals, csc.ptr, csc.idx, csc.at, n, csc.blocks, yT)),
      inputGrad: cpuTime(() => addon.sparseLanes(gT, lanes, n, vals, csr.ptr, csr.idx, csr.at, k, csr.blocks, dxT)),
      weightGrad: cpuTime(() => addon.sampledLanes(xT, gT, lanes, k, n, csr.ptr, csr.idx, csr.at, csr.blocks, vals)),
    };
    for (const key of KINDS) if (sparse[key] < dense[key] && wins[key] === 0) wins[key] = density;
    lines.push(`[${k},${n}] density ${density.toFixed(2)}: ` + KINDS.map((key) => `${key} ${sparse[key].toFixed(1)} us (sgemm ${dense[key].toFixed(1)})`).join(', '));
  }
  lines.push(`[${k},${n}] highest density where the sparse kernel wins: ${KINDS.map((key) => `${key} ${wins[key]}`).join(', ')}`);
}
process.stdout.write(`batch ${m} (${lanes} lanes), ${addon.getThreads()} BLAS thread(s), CPU microseconds per call\n${lines.join('\n')}\n`);
