/**
 * The reset comparison (theta_0 beside round 0's trained weights) against the synthetic tree's formulas
 * (synthetic.ts): the two resets' configurations differ only in reset_to, the theta_0 one shifted by -0.03.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../core/experiment/config.js';
import { loadResults } from '../../core/report/load.js';
import { writeReport } from '../../core/report/report.js';
import { resetComparisonFigures, resetComparisonTable, resetPairs, resetRows } from '../../core/report/reset-comparison.js';
import type { ResultsSet } from '../../core/report/results-set.js';
import { metricsAt, tempRoot, writeConfig } from './synthetic.js';

const temp = tempRoot('rsn-reset-comparison-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const OPTIONS = { rounds: 4, trainIters: 3000, evalEvery: 1000 };
const SHIFT = -0.03;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('the reset comparison', () => {
  const raw = join(temp, 'raw');
  let set: ResultsSet;
  let r0: ExperimentConfig;

  beforeAll(() => {
    const dir = writeConfig(raw, { experiment: 'reinit_orig', reset_to: 'round0_trained' }, { ...OPTIONS, trials: 2 });
    writeConfig(raw, { experiment: 'reinit_orig', reset_to: 'init' }, { ...OPTIONS, trials: 1, accShift: SHIFT });
    // Under one reset only: no pair.
    writeConfig(raw, { experiment: 'reinit_orig', reset_to: 'init', attack: 'pgd' }, { ...OPTIONS, trials: 1 });
    set = loadResults(raw);
    r0 = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).config;
  });

  it('pairs only configurations run under both resets and otherwise equal', () => {
    const pairs = resetPairs(set);
    expect(pairs.map((p) => p.slug)).toEqual(['digits-fgsm-natural-reset-comparison']);
    expect(pairs[0]!.configs.init.config.reset_to).toBe('init');
    expect(pairs[0]!.configs.round0_trained.config.reset_to).toBe('round0_trained');
  });

  it('gives each round\'s accuracies at the chosen evaluation and the early-stopping iteration, per reset', () => {
    const rows = resetRows(resetPairs(set)[0]!, 2500);
    expect(rows).toHaveLength(8);
    for (let round = 0; round < OPTIONS.rounds; round++) {
      const trained = rows.find((r) => r.reset === 'round0_trained' && r.round === round)!;
      const init = rows.find((r) => r.reset === 'init' && r.round === round)!;
      // The evaluation at or below 2500 is the one at 2000.
      expect(trained.acc.mean).toBeCloseTo(mean([0, 1].map((t) => metricsAt(r0, t, round, 2000).test.acc)), 12);
      expect(trained.acc.n).toBe(2);
      expect(init.advAcc.mean).toBeCloseTo(metricsAt(r0, 0, round, 2000, SHIFT).test.adv_acc, 12);
      expect(init.acc.n).toBe(1);
      expect(trained.esIteration.mean).toBe(Math.min(3000, 1000 * (round + 1)));
    }
  });

  it('tables the two resets side by side, mean ± sd where there are two trials', () => {
    const table = resetComparisonTable(resetPairs(set)[0]!, 2500).split('\n');
    const accs = [0, 1].map((t) => 100 * metricsAt(r0, t, 1, 2000).test.acc);
    const sd = Math.abs(accs[0]! - accs[1]!) / Math.SQRT2;
    const init = 100 * metricsAt(r0, 0, 1, 2000, SHIFT).test.acc;
    const row1 = table.find((l) => l.startsWith('| 1 |'))!.split(' | ');
    expect(row1[2]).toBe(`${mean(accs).toFixed(2)}±${sd.toFixed(2)}, n=2`);
    expect(row1[3]).toBe(init.toFixed(2));
    expect(row1[6]).toBe('2000±0, n=2');
  });

  it('draws a figure per pair, and rsn report writes it with the table', async () => {
    const figures = resetComparisonFigures(set, 2500);
    expect(figures.map((f) => f.name)).toEqual(['digits-fgsm-natural-reset-comparison']);
    const out = join(temp, 'report');
    await writeReport(raw, { out, png: false, iteration: 2500 });
    expect(existsSync(join(out, 'figures', 'digits-fgsm-natural-reset-comparison.svg'))).toBe(true);
    const tables = readFileSync(join(out, 'tables.md'), 'utf8');
    expect(tables).toContain("## The reset: theta_0 beside round 0's trained weights");
    expect(tables).toContain(resetComparisonTable(resetPairs(set)[0]!, 2500));
  });
});
