/**
 * npx tsx benchmarks/micro/sparse-crossover.ts [--batch 60] [--reps 200]
 *
 * Measures where the native backend's sparse products (native/src/sparse.c) start to beat OpenBLAS's dense
 * ones, for each layer shape of dense-300-100 and the three products a masked weight enters: x @ E (forward),
 * g @ E^T (input gradient) and h^T g at the kept positions (weight gradient, against the dense h^T g). Prints
 * the time of each against the mask's density and the highest density at which the sparse kernel wins; the
 * native backend's thresholds (backends/native/crossover.ts) were set from this.
 */
import { parseArgs } from 'node:util';
import { loadAddon } from '../../backends/native/addon.js';
import { blockedLists, maskLayout } from '../../backends/native/layout.js';
import { Rng } from '../../core/nn/rng.js';

const { values: args } = parseArgs({ options: { batch: { type: 'string', default: '60' }, reps: { type: 'string', default: '200' } } });
const m = Number(args.batch);
const reps = Number(args.reps);
const addon = loadAddon();
const rng = new Rng(3);
const SHAPES: [number, number][] = [[784, 300], [300, 100], [100, 10]];
const DENSITIES = [1, 0.7, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01];

function time(fn: () => void): number {
  for (let i = 0; i < 5; i++) fn();
  const samples: number[] = [];
  for (let s = 0; s < 5; s++) {
    const start = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push(((performance.now() - start) * 1000) / reps);
  }
  return samples.sort((a, b) => a - b)[2]!;
}

const lines: string[] = [];
for (const [k, n] of SHAPES) {
  const x = rng.uniformArray(m * k, -1, 1);
  const g = rng.uniformArray(m * n, -1, 1);
  const w = rng.uniformArray(k * n, -1, 1);
  const y = new Float32Array(m * n);
  const dx = new Float32Array(m * k);
  const dw = new Float32Array(k * n);
  const dense = {
    forward: time(() => addon.matmul(x, w, y, m, n, k, 0, 0)),
    inputGrad: time(() => addon.matmul(g, w, dx, m, k, n, 0, 1)),
    weightGrad: time(() => addon.matmul(x, g, dw, k, n, m, 1, 0)),
  };
  const wins = { forward: 0, inputGrad: 0, weightGrad: 0 };
  for (const density of DENSITIES) {
    const mask = Float32Array.from({ length: k * n }, () => (rng.next() < density ? 1 : 0));
    const L = maskLayout(mask, k, n);
    const vals = new Float32Array(L.nnz);
    addon.gatherAt(w, L.flat, vals);
    const [csc, csr] = [blockedLists(L, 'csc'), blockedLists(L, 'csr')];
    const sparse = {
      forward: time(() => addon.sparseProduct(x, m, k, vals, csc.ptr, csc.idx, csc.at, n, csc.blocks, y)),
      inputGrad: time(() => addon.sparseProduct(g, m, n, vals, csr.ptr, csr.idx, csr.at, k, csr.blocks, dx)),
      weightGrad: time(() => addon.sampledProduct(x, g, m, k, n, L.rowPtr, L.colIdx, vals)),
    };
    for (const key of ['forward', 'inputGrad', 'weightGrad'] as const) {
      if (sparse[key] < dense[key] && wins[key] === 0) wins[key] = density;
    }
    lines.push(`[${k},${n}] density ${density.toFixed(2)}: ` + (['forward', 'inputGrad', 'weightGrad'] as const)
      .map((key) => `${key} ${sparse[key].toFixed(1)} us (dense ${dense[key].toFixed(1)})`).join(', '));
  }
  lines.push(`[${k},${n}] highest density where sparse wins: forward ${wins.forward}, inputGrad ${wins.inputGrad}, weightGrad ${wins.weightGrad}`);
}
process.stdout.write(`batch ${m}, ${addon.getThreads()} BLAS thread(s)\n${lines.join('\n')}\n`);
