/**
 * npx tsx benchmarks/perf/micro/wasm-sparse-crossover.ts [--samples 9] [--step-runs 15]
 *
 * Where sparse products could pay on the wasm backend (issue 17, item 3). For each layer shape of
 * dense-300-100 and masks of 100, 75, 51.3, 30, 21.1, 16.9, 8.7, 3.6 and 1.8% density (random, from the seeded
 * generator), times side by side in this process (CPU time, alternating batches; wasm-sparse/products.ts) the
 * wasm backend's dense SIMD product against sparse WebAssembly SIMD kernels (backends/tfjs/simd/sparse.ts) for
 * the forward product, the input gradient and the weight gradient at kept positions, and prints their ratios
 * and the density where they cross. Then times whole full-density wasm steps with their products timed inside
 * (wasm-sparse/step-share.ts) and projects each step at the protocol's pruning rounds, every product replaced
 * by its measured sparse ratio at the layer's density (layers 1-2 lose 20% a round, layer 3 10%).
 */
import { parseArgs } from 'node:util';
import { cpus, loadavg } from 'node:os';
import { DENSE_300_100 } from '../../../core/nn/models/index.js';
import { pruneRates } from '../../../core/pruning/rates.js';
import { Rng } from '../../../core/nn/rng.js';
import { KINDS, timeProducts, type Kind, type ProductTimes } from './wasm-sparse/products.js';
import { LAYERS, stepShares } from './wasm-sparse/step-share.js';

const { values: args } = parseArgs({ options: { samples: { type: 'string', default: '9' }, 'step-runs': { type: 'string', default: '15' } } });
const DENSITIES = [1, 0.75, 0.513, 0.3, 0.211, 0.169, 0.087, 0.036, 0.018];
/** Rounds whose steps are projected: 100, 51.3, 21.1, 16.9, 8.7, 3.6 and 1.8% of weights left. */
const ROUNDS = [0, 3, 7, 8, 11, 15, 18];
const fixed = (x: number, d = 2) => x.toFixed(d);
const out = (line = '') => process.stdout.write(`${line}\n`);

out(`${cpus()[0]?.model ?? 'cpu'} x ${cpus().length}, load average ${loadavg().map((l) => fixed(l, 1)).join(' ')}; batch 60`);
const rng = new Rng(17);
const tables: ProductTimes[][] = LAYERS.map(([k, n]) => timeProducts(k, n, DENSITIES, rng, Number(args.samples)));

/** Ratio sparse / dense for a layer and kind at `density`, linear between measured densities. */
function ratioAt(layer: number, kind: Kind, density: number, form: 'sparseKernel' | 'sparseRowMajor'): number {
  const rows = [...tables[layer]!].sort((a, b) => a.density - b.density);
  const ratio = (r: ProductTimes) => r[form][kind] / r.dense[kind];
  if (density <= rows[0]!.density) return ratio(rows[0]!);
  for (let i = 1; i < rows.length; i++) {
    const [lo, hi] = [rows[i - 1]!, rows[i]!];
    if (density <= hi.density) return ratio(lo) + ((density - lo.density) / (hi.density - lo.density)) * (ratio(hi) - ratio(lo));
  }
  return ratio(rows[rows.length - 1]!);
}

/** The density where the ratio crosses 1 (linear between measured densities), or '>100%' / '<lowest'. */
function crossover(layer: number, kind: Kind, form: 'sparseKernel' | 'sparseRowMajor'): string {
  const rows = [...tables[layer]!].sort((a, b) => a.density - b.density);
  const ratio = (r: ProductTimes) => r[form][kind] / r.dense[kind];
  if (ratio(rows[0]!) >= 1) return `<${fixed(rows[0]!.density * 100, 1)}%`;
  for (let i = 1; i < rows.length; i++) {
    const [lo, hi] = [rows[i - 1]!, rows[i]!];
    if (ratio(hi) >= 1) return `${fixed((lo.density + ((1 - ratio(lo)) / (ratio(hi) - ratio(lo))) * (hi.density - lo.density)) * 100, 0)}%`;
  }
  return '>100%';
}

out('\nSparse / dense CPU time per product ("kernel": operands already in the lane layout; "+T": with the transposes');
out('into and out of it, what a product on row-major tensors costs; "JS": the forward product as scalar JavaScript).');
out('Dense: the wasm backend\'s SIMD gemm, microseconds per call.\n');
out('| shape | density | kept | fwd dense us | fwd kernel | fwd +T | fwd JS | dx dense us | dx kernel | dx +T | dW dense us | dW kernel | dW +T |');
out('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const rows of tables) {
  for (const r of rows) {
    const q = (kind: Kind, form: 'sparseKernel' | 'sparseRowMajor') => fixed(r[form][kind] / r.dense[kind]);
    out(`| [${r.shape.join(',')}] | ${fixed(r.density * 100, 1)}% | ${r.kept} | ${fixed(r.dense.forward, 1)} | ${q('forward', 'sparseKernel')} | ${q('forward', 'sparseRowMajor')} | ${fixed(r.jsForward / r.dense.forward)} | ` +
      `${fixed(r.dense.inputGrad, 1)} | ${q('inputGrad', 'sparseKernel')} | ${q('inputGrad', 'sparseRowMajor')} | ${fixed(r.dense.weightGrad, 1)} | ${q('weightGrad', 'sparseKernel')} | ${q('weightGrad', 'sparseRowMajor')} |`);
  }
}
const worst = Object.fromEntries(KINDS.map((kind) => [kind, Math.max(...tables.flat().map((r) => r.maxDifference[kind]))]));
out(`\nLargest |sparse - dense| over all outputs: forward ${worst['forward']}, input gradient ${worst['inputGrad']}, weight gradient ${worst['weightGrad']}`);
out('\nCrossover (sparse faster below this density), kernel / +T:');
LAYERS.forEach(([k, n], layer) =>
  out(`  [${k},${n}]: ${KINDS.map((kind) => `${kind} ${crossover(layer, kind, 'sparseKernel')} / ${crossover(layer, kind, 'sparseRowMajor')}`).join(', ')}`));

const shares = await stepShares(Number(args['step-runs']));
out('\nFull-density wasm steps (CPU ms, median of runs) and the time in the products a masked weight enters (ms: their median\nfraction of a run\'s wall time, times the step\'s CPU ms):\n');
out('| step | ms | forward | input grad | weight grad | W^T transposes | products share |');
out('|---|---|---|---|---|---|---|');
for (const s of shares) {
  const sum = (kind: Kind) => s.productMs.reduce((t, p) => t + p[kind], 0);
  const all = KINDS.reduce((t, kind) => t + sum(kind), 0);
  out(`| ${s.step} | ${fixed(s.stepMs)} | ${fixed(sum('forward'))} | ${fixed(sum('inputGrad'))} | ${fixed(sum('weightGrad'))} | ${fixed(s.transposeMs)} | ${fixed((100 * (all + s.transposeMs)) / s.stepMs, 0)}% |`);
}

const layerDensity = (layer: number, round: number) => (1 - pruneRates(DENSE_300_100)[layer]!) ** round;
const overall = (round: number) => LAYERS.reduce((t, [k, n], l) => t + k * n * layerDensity(l, round), 0) / LAYERS.reduce((t, [k, n]) => t + k * n, 0);
out('\nProjected step time / dense step time at the protocol\'s rounds, every product at its measured +T ratio');
out('(forward and input gradient only | all three products, the weight gradient sampled at kept positions):\n');
out(`| step | ${ROUNDS.map((r) => `${fixed(overall(r) * 100, 1)}%`).join(' | ')} |`);
out(`|---|${ROUNDS.map(() => '---').join('|')}|`);
for (const s of shares) {
  const projected = (round: number, kinds: readonly Kind[]) => {
    let saved = 0;
    s.productMs.forEach((p, layer) => {
      for (const kind of kinds) saved += p[kind] * (1 - ratioAt(layer, kind, layerDensity(layer, round), 'sparseRowMajor'));
    });
    return (s.stepMs - saved) / s.stepMs;
  };
  out(`| ${s.step} | ${ROUNDS.map((r) => `${fixed(projected(r, ['forward', 'inputGrad']))} / ${fixed(projected(r, KINDS))}`).join(' | ')} |`);
}
out(`\nload average at the end ${loadavg().map((l) => fixed(l, 1)).join(' ')}`);
