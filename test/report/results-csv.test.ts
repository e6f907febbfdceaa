import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResults, type ResultsSet } from '../../core/report/load.js';
import { RESULTS_COLUMNS, resultsRows, ROUND_COLUMNS, roundRows, summaryColumns, summaryRows } from '../../core/report/results-csv.js';
import { CONFIG_FIELDS } from '../../core/experiment/config.js';
import { parseCsv, toCsv } from '../../core/results/csv.js';
import { tempRoot, writeStandardTree } from './synthetic.js';

const temp = tempRoot('rsn-results-csv-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));
let set: ResultsSet;
beforeAll(() => {
  writeStandardTree(join(temp, 'standard'));
  set = loadResults(join(temp, 'standard'));
});

// The standard tree: 4 reinit_orig configurations x 3 trials x 19 complete rounds, reinit_rand and reinit_none
// x 3 trials x 9 rounds = 282 rounds, each with evaluations at 0, 10000, 20000, 30000 (synthetic.ts).
const ROUNDS = 4 * 3 * 19 + 2 * 3 * 9;

describe('results.csv', () => {
  it('has one row per trial x round x evaluation x split, every setting a column', () => {
    const rows = resultsRows(set);
    expect(rows).toHaveLength(ROUNDS * 4 * 3);
    for (const field of CONFIG_FIELDS) expect(RESULTS_COLUMNS).toContain(field.key === 'loss' ? 'loss_form' : field.key);
    const row = rows.find((r) => r.experiment === 'reinit_orig' && r.attack === 'pgd' && r.adv_train === 'True' && r.trial === 1 && r.round === 2 && r.iteration === 10000 && r.split === 'test')!;
    // test acc = 0.90 + 0.02 * trial - 0.005 * round + iteration / 1e6; adversarial: 0.60 - 0.01 (PGD) + the same shift
    expect(row.acc).toBeCloseTo(0.92, 12);
    expect(row.adv_acc).toBeCloseTo(0.61, 12);
    expect(row).toMatchObject({ dataset: 'digits', backend: 'reference', percent_remaining: 64.1, train_iters: 30000, eval_every: 10000, seed: 0 });
    // early stopping of round r at min(train_iters, eval_every * (r + 1)); the final evaluation at train_iters
    expect(row.is_early_stopping).toBe('False');
    expect(rows.filter((r) => r.trial === 1 && r.round === 2 && r.split === 'valid' && r.experiment === 'reinit_orig' && r.attack === 'pgd' && r.adv_train === 'True')
      .map((r) => [r.iteration, r.is_early_stopping, r.is_final])).toEqual([[0, 'False', 'False'], [10000, 'False', 'False'], [20000, 'False', 'False'], [30000, 'True', 'True']]);
  });

  it('keeps train.csv rows apart by split, without an adversarial loss', () => {
    const train = resultsRows(set).filter((r) => r.split === 'train');
    expect(train).toHaveLength(ROUNDS * 4);
    expect(train.every((r) => r.adv_loss === '')).toBe(true);
  });

  it('round-trips through CSV text with its header in order', () => {
    const text = toCsv(RESULTS_COLUMNS, resultsRows(set));
    expect(text.split('\n', 1)[0]).toBe(RESULTS_COLUMNS.join(','));
    expect(parseCsv(text)).toHaveLength(ROUNDS * 12);
  });
});

describe('summaries.csv and rounds.csv', () => {
  it('summaries: one row per trial x round, summary.json flattened', () => {
    const rows = summaryRows(set);
    expect(rows).toHaveLength(ROUNDS);
    const r = rows.find((x) => x.experiment === 'reinit_rand' && x.trial === 2 && x.round === 3)!;
    expect(r).toMatchObject({ percent_remaining: 51.3, wall_seconds: 15, es_iteration: 30000, final_iteration: 30000, remaining_hidden_1: 13 });
    expect(r.final_test_acc).toBeCloseTo(0.9 - 0.01 + 0.04 - 0.015 + 0.03, 12);
    expect(Object.keys(r).sort()).toEqual([...summaryColumns(set)].sort());
  });

  it('rounds: mean and sd over trials per configuration and round at the chosen iteration', () => {
    const rows = roundRows(set, 15000);
    expect(rows).toHaveLength(4 * 19 + 2 * 9);
    const r = rows.find((x) => x.experiment === 'reinit_orig' && x.attack === 'fgsm' && x.adv_train === 'False' && x.round === 0)!;
    // trials 0, 1, 2 at iteration 10000: 0.91, 0.93, 0.95
    expect(r.iteration).toBe('10000');
    expect(r.n_trials).toBe(3);
    expect(r.test_acc_mean).toBeCloseTo(0.93, 12);
    expect(r.test_acc_sd).toBeCloseTo(0.02, 12);
    expect(Object.keys(r).sort()).toEqual([...ROUND_COLUMNS].sort());
  });
});
