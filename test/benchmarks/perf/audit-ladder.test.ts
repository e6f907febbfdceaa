/**
 * The strong-attack ladder benchmark (benchmarks/perf/micro/audit-ladder.ts) runs end to end on the reference
 * backend with tiny budgets and prints one row per rung, the unit costs and the whole ladder.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('audit-ladder benchmark', () => {
  it('prints the cost of every rung and its projection to 10,000 images', () => {
    const run = spawnSync(process.execPath, [
      '--import', 'tsx', 'benchmarks/perf/micro/audit-ladder.ts', '--backend', 'reference', '--batch', '8', '--pgd-iterations', '2',
      '--pgd-restarts', '2', '--apgd-iterations', '3', '--targets', '2', '--queries', '4', '--transfer-iterations', '2',
    ], { cwd: root, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    for (const rung of ['one input gradient', 'one forward pass', 'relu backward, mul', 'relu backward, where', 'pgd-ce 2x2', 'pgd-dlr 2x1', 'apgd-ce 3x1', 'apgd-t 3x2', 'square 4q', 'transfer-pgd-ce 2x1', 'whole ladder']) {
      expect(run.stdout).toMatch(new RegExp(`${rung} +[\\d.]+ +[\\d.]+ +[\\d.]+ +[\\d.]+`));
    }
    expect(run.stdout).toMatch(/reference, dense-300-100, batch 8, eps 0.0001/);
  }, 120_000);
});
