/**
 * The native addon's matrix products for the shapes of a dense-300-100 step in the lane layout
 * (backends/native/mlp.ts), timed on the build RSN_NATIVE_ADDON names (or the default one): prints one JSON line,
 * per shape the best CPU time per product over rounds. Run by libraries.ts for each library.
 */
import { loadAddon } from '../../../backends/native/addon.js';
import { Rng } from '../../../core/nn/rng.js';
import { STEP_PRODUCTS } from './bound.js';

const addon = loadAddon();
const rng = new Rng(5);
const best: Record<string, number> = {};
for (const [label, m, n, k, tA, tB] of STEP_PRODUCTS) {
  const [a, b, c] = [rng.uniformArray(m * k, -1, 1), rng.uniformArray(k * n, -1, 1), new Float32Array(m * n)];
  const reps = Math.max(5, Math.round(2e8 / (2 * m * n * k)));
  for (let r = 0; r < 3; r++) addon.matmul(a, b, c, m, n, k, tA, tB);
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const start = process.cpuUsage();
    for (let r = 0; r < reps; r++) addon.matmul(a, b, c, m, n, k, tA, tB);
    const used = process.cpuUsage(start);
    fastest = Math.min(fastest, (used.user + used.system) / 1000 / reps);
  }
  best[label] = fastest;
}
process.stdout.write(`${JSON.stringify({ library: addon.libraryConfig(), best })}\n`);
