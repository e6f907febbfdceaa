import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadResults, type ResultsSet } from '../../core/report/load.js';
import { accuracyTables, iterationNote, tableLatex, tableMarkdown, type AccuracyTable } from '../../core/report/tables.js';
import { writeConfig, writeStandardTree, tempRoot } from './synthetic.js';

const temp = tempRoot('rsn-report-tables-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

let set: ResultsSet;
let tables: AccuracyTable[];
const table = (strategy: string) => tables.find((t) => t.strategy === strategy)!;
const row = (t: AccuracyTable, percent: number) => t.rows.find((r) => Math.abs(r.percent - percent) < 0.05)!;

beforeAll(() => {
  writeStandardTree(join(temp, 'standard'));
  set = loadResults(join(temp, 'standard'));
  tables = accuracyTables(set, 30000);
});

describe('accuracy tables', () => {
  it('one table per strategy present (digits only), a row for every round the runs made', () => {
    expect(tables.map((t) => `${t.dataset}/${t.strategy}`)).toEqual(['digits/reinit_orig', 'digits/reinit_rand', 'digits/reinit_none']);
    // the standard tree: reinit_orig rounds 0-18, the others 0-8 (synthetic.ts)
    expect(table('reinit_orig').rows.map((r) => r.round)).toEqual(Array.from({ length: 19 }, (_, r) => r));
    expect(table('reinit_rand').rows.map((r) => r.round)).toEqual(Array.from({ length: 9 }, (_, r) => r));
    // the paper's sparsities are among them, in the paper's rounds
    expect([100, 51.3, 16.9, 8.7, 3.6, 1.8].map((p) => row(table('reinit_orig'), p).round)).toEqual([0, 3, 8, 11, 15, 18]);
  });

  it('cells in % (hand-derived: acc 0.9 + 0.02 t - 0.005 r + 0.03 at 30000)', () => {
    const cells = row(table('reinit_orig'), 51.3).cells;
    expect(cells.fgsm_nat.natural!.stat.mean).toBeCloseTo(93.5, 10);
    expect(cells.fgsm_nat.natural!.stat.sd).toBeCloseTo(2, 10);
    expect(cells.fgsm_adv.natural!.stat.mean).toBeCloseTo(13.5, 10);
    expect(cells.fgsm_adv.adversarial!.stat.mean).toBeCloseTo(63.5, 10);
    expect(cells.pgd_adv.natural!.stat.mean).toBeCloseTo(12.5, 10);
    expect(cells.pgd_adv.adversarial!.stat.mean).toBeCloseTo(62.5, 10);
    expect(cells.fgsm_nat.natural!.round).toBe(3);
    expect(row(table('reinit_orig'), 1.8).cells.fgsm_nat.natural!.round).toBe(18);
  });

  it('Markdown: caption with the iteration and the cells as in docs/paper-results.md', () => {
    const md = tableMarkdown(table('reinit_orig'));
    expect(md).toContain('mean ± sample sd over 3 trial(s), at training step 30000');
    expect(md).toContain('| round | % remaining | FGSM nat | FGSM adv | PGD nat | PGD adv |');
    expect(md).toContain('| 3 | 51.3 | 93.50±2.00 / 93.50±2.00 | 13.50±2.00 / 63.50±2.00 | 93.50±2.00 / 93.50±2.00 | 12.50±2.00 / 62.50±2.00 |');
    expect(md).toContain('| 0 | 100.0 | 95.00±2.00 / 95.00±2.00 | 15.00±2.00 / 65.00±2.00 |');
  });

  it('cells without data are dashes, rounds no run made are no rows (random reinit: 9 rounds, natural FGSM only)', () => {
    const md = tableMarkdown(table('reinit_rand'));
    expect(md).toContain('| 3 | 51.3 | 92.50±2.00 / — | 12.50±2.00 / — | — / — | — / — |');
    expect(md).not.toContain('| 8.7 |');
  });

  it('LaTeX: booktabs table with escaped characters', () => {
    const tex = tableLatex(table('reinit_orig'));
    expect(tex).toContain('\\begin{tabular}{rlllll}');
    expect(tex).toContain('round & \\% remaining & FGSM nat & FGSM adv & PGD nat & PGD adv \\\\');
    expect(tex).toContain('3 & 51.3 & 93.50$\\pm$2.00 / 93.50$\\pm$2.00 & 13.50$\\pm$2.00 / 63.50$\\pm$2.00 &');
    expect(tex).not.toMatch(/[^\\]_/);
    expect(tex).not.toContain('±');
  });

  it('an iteration between evaluations: the caption names the one used', () => {
    const t = accuracyTables(set, 25000).find((x) => x.strategy === 'reinit_orig')!;
    expect(iterationNote(t)).toContain('at the last evaluation at or below training step 25000: step 20000');
    expect(row(t, 51.3).cells.fgsm_nat.natural!.stat.mean).toBeCloseTo(92.5, 10);
  });

  it('training shorter than the iteration asked for: the last evaluation, said in the caption', () => {
    writeConfig(join(temp, 'short'), { dataset: 'fashion', experiment: 'reinit_orig' }, { trials: 2, rounds: 1, trainIters: 2000, evalEvery: 500 });
    const [t] = accuracyTables(loadResults(join(temp, 'short')), 30000);
    expect(t!.dataset).toBe('fashion');
    // fashion: 0.8 + 0.02 t + 0.002 at 2000 -> 0.802, 0.822
    expect(row(t!, 100).cells.fgsm_nat.natural!.stat.mean).toBeCloseTo(81.2, 10);
    expect(tableMarkdown(t!)).toContain('mean ± sample sd over 2 trial(s), at the last evaluation at or below training step 30000: step 2000');
    expect(t!.rows.map((r) => r.round)).toEqual([0]);
  });

  it('a run of two pruning rounds shows both (80.0% and 64.1%), none of them a paper sparsity', () => {
    writeConfig(join(temp, 'two'), { experiment: 'reinit_orig' }, { trials: 1, rounds: 3, trainIters: 1000, evalEvery: 500 });
    const [t] = accuracyTables(loadResults(join(temp, 'two')), 30000);
    expect(t!.rows.map((r) => [r.round, r.percent])).toEqual([[0, 100], [1, 80], [2, 64.1]]);
    // digits, trial 0: 0.9 - 0.005 r + 0.001 at step 1000
    expect(t!.rows.map((r) => r.cells.fgsm_nat.natural!.stat.mean)).toEqual([90.1, 89.6, 89.1].map((v) => expect.closeTo(v, 10)));
    expect(tableMarkdown(t!)).toContain('| 2 | 64.1 | 89.10 / — |');
  });
});
