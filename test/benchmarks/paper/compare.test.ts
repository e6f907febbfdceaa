import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithPaper, comparisonMarkdown, type PaperComparison } from '../../../benchmarks/paper/compare.js';
import { judge, tolerance } from '../../../core/report/agreement.js';
import { compareRuns, crossRunMarkdown } from '../../../core/report/crossrun.js';
import { loadResults } from '../../../core/report/load.js';
import { writeConfig, writeStandardTree, tempRoot } from '../../report/synthetic.js';

const temp = tempRoot('rsn-report-compare-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const s = (mean: number, sd: number, n = 3) => ({ mean, sd, sdPopulation: sd, n, min: mean, max: mean });

describe('the verdict rule: |ours - paper| <= max(2 sqrt(sd1^2 + sd2^2), 1.0)', () => {
  it('tolerance', () => {
    expect(tolerance(0.3, 0.4)).toBeCloseTo(1.0, 12); // 2 * 0.5
    expect(tolerance(0.6, 0.8)).toBeCloseTo(2.0, 12); // 2 * 1.0
    expect(tolerance(0.1, 0.1)).toBe(1.0); // floor
    expect(tolerance(NaN, 0.8)).toBeCloseTo(1.6, 12); // one trial: its sd counts as 0
  });
  it('verdicts', () => {
    expect(judge(s(98.0, 0.1), { mean: 98.33, sd: 0.33 })).toMatchObject({ verdict: 'agrees', tolerance: 1 });
    expect(judge(s(98.0, 0.1), { mean: 98.33, sd: 0.33 }).diff).toBeCloseTo(-0.33, 12);
    expect(judge(s(96.0, 0.1), { mean: 98.33, sd: 0.33 }).verdict).toBe('differs');
    expect(judge(s(11, 0), { mean: 10, sd: 0 }).verdict).toBe('agrees'); // exactly at the floor
    expect(judge(s(11.01, 0), { mean: 10, sd: 0 }).verdict).toBe('differs');
    expect(judge(s(57, 3), { mean: 52, sd: 1 }).verdict).toBe('agrees'); // 5 <= 2 sqrt(10) = 6.32
    expect(judge(s(59, 3), { mean: 52, sd: 1 }).verdict).toBe('differs'); // 7 > 6.32
  });
  it('no data', () => {
    expect(judge(undefined, { mean: 1, sd: 1 }).verdict).toBe('no data');
    expect(judge(s(NaN, NaN, 0), { mean: 1, sd: 1 }).verdict).toBe('no data');
  });
});

describe('comparison with the paper', () => {
  let standard: PaperComparison;
  const cell = (c: PaperComparison, dataset: string, percent: number, column: string, training: string) =>
    c.cells.find((x) => x.dataset === dataset && x.percent === percent && x.column === column && x.training === training)!;

  beforeAll(() => {
    writeStandardTree(join(temp, 'standard'));
    standard = compareWithPaper(loadResults(join(temp, 'standard')), 30000);
  });

  it('covers all 96 cells of Tables 1 and 2; fashion has no data here', () => {
    expect(standard.cells).toHaveLength(96);
    expect(standard.cells.filter((x) => x.dataset === 'fashion').every((x) => x.verdict === 'no data')).toBe(true);
    expect(standard.cells.filter((x) => x.dataset === 'digits').every((x) => x.verdict !== 'no data')).toBe(true);
  });

  it('hand-derived cells: 95.00±1.63 vs 98.33±.33 agrees, 93.50±1.63 vs 98.35±.07 differs (population sds)', () => {
    const a = cell(standard, 'digits', 100, 'fgsm_nat', 'natural');
    expect(a.ours!.stat.mean).toBeCloseTo(95, 10);
    // trials at 93, 95, 97 %: population sd sqrt(8 / 3) = 1.633 (the sample sd would be 2)
    expect(a.ours!.stat.sd).toBeCloseTo(Math.sqrt(8 / 3), 10);
    expect(a.diff).toBeCloseTo(-3.33, 10);
    expect(a.tolerance).toBeCloseTo(2 * Math.sqrt(8 / 3 + 0.33 ** 2), 10);
    expect(a.verdict).toBe('agrees');
    const b = cell(standard, 'digits', 51.3, 'fgsm_nat', 'natural');
    expect(b.diff).toBeCloseTo(-4.85, 10);
    expect(b.verdict).toBe('differs');
  });

  it('flags the settings that differ from the paper (the synthetic tree resets to theta_0)', () => {
    const a = cell(standard, 'digits', 100, 'fgsm_nat', 'natural');
    expect(a.departures).toEqual([
      'reset_to=init (paper: round0_trained)', 'loss=logits (paper: clipped_probabilities)', 'compared at step 30,000 (paper: step 25,021, the row labelled 30,000)',
    ]);
    const md = comparisonMarkdown(standard);
    expect(md).toContain('| digits | 100.0 | FGSM nat | natural | 95.00±1.63, n=3 | 98.33±0.33 | -3.33 | 3.33 | agrees † |');
    expect(md).toContain('population sds');
    expect(md).toContain('reset_to=init (paper: round0_trained)');
    expect(md).toContain('really training step 25,021');
    expect(md).toMatch(/\*\*\d+ agree, \d+ differ, 48 without data\*\* \(of 96 cells\)/);
  });

  it('results with the paper\'s settings are not flagged; shorter training is', () => {
    const paperLike = join(temp, 'paperlike');
    writeConfig(paperLike, { experiment: 'reinit_orig', reset_to: 'round0_trained', loss: 'clipped_probabilities' }, { trials: 2, rounds: 4, trainIters: 25021, evalEvery: 25021 });
    const c = compareWithPaper(loadResults(paperLike));
    expect(c.step).toBe(25021);
    expect(cell(c, 'digits', 51.3, 'fgsm_nat', 'natural').departures).toEqual([]);
    expect(comparisonMarkdown(c)).not.toContain('†');

    const short = join(temp, 'short');
    writeConfig(short, { experiment: 'reinit_orig', reset_to: 'round0_trained', label_smoothing: 0, loss: 'clipped_probabilities' }, { trials: 1, rounds: 1, trainIters: 20000, evalEvery: 10000 });
    const d = cell(compareWithPaper(loadResults(short)), 'digits', 100, 'fgsm_nat', 'natural');
    expect(d.departures).toEqual([
      'label_smoothing=0 (paper: 0.1)', 'train_iters=20000 (paper: at least 25,021)', 'compared at step 20,000 (paper: step 25,021, the row labelled 30,000)',
    ]);
    // one trial: no sd of ours; 0.9 + 0.02 = 92.00 vs 98.33±.33 -> tolerance max(0.66, 1) = 1
    expect(d.tolerance).toBe(1);
    expect(d.verdict).toBe('differs');
  });
});

describe('two results directories (backends) side by side', () => {
  it('accuracy differences and speed ratio, by hand', () => {
    const a = join(temp, 'runA');
    const b = join(temp, 'runB');
    const c = join(temp, 'runC');
    const base = { trials: 3, rounds: 2, trainIters: 1000, evalEvery: 500 };
    writeConfig(a, { experiment: 'reinit_orig' }, base);
    writeConfig(b, { experiment: 'reinit_orig' }, { ...base, accShift: 0.03, backend: 'wasm', wallSeconds: (t, r) => (10 + t + r) / 4 });
    writeConfig(b, { experiment: 'reinit_rand' }, base);
    writeConfig(c, { experiment: 'reinit_orig' }, { ...base, accShift: -0.07 });
    const ab = compareRuns(loadResults(a), loadResults(b), 30000);
    expect(ab.backends).toEqual(['reference', 'reference, wasm']);
    expect(ab.accuracy.map((r) => r.round)).toEqual([0, 1]);
    expect(ab.accuracy[0]!.accDiff).toBeCloseTo(3, 10);
    expect(ab.accuracy[0]!.advAccDiff).toBeCloseTo(3, 10);
    expect(ab.accuracy[0]!.verdict).toBe('agrees'); // 3 <= 2 sqrt(2^2 + 2^2) = 5.66
    expect(ab.speed[1]!.seconds[0].mean).toBe(12); // 10 + t + 1 over t = 0, 1, 2
    expect(ab.speed[1]!.ratio).toBeCloseTo(4, 12);
    expect(ab.onlyIn[1]).toHaveLength(1);
    const md = crossRunMarkdown(ab);
    expect(md).toContain('| 1 | 80.0 | 91.60±2.00 | 94.60±2.00 | +3.00 |');
    expect(md).toMatch(/Total over the rounds present in both: A 23\.0 s, B 5\.8 s, A \/ B = 4\.00/);
    expect(md).toContain('Only in B:');

    const ac = compareRuns(loadResults(a), loadResults(c), 30000);
    expect(ac.accuracy[0]!.accDiff).toBeCloseTo(-7, 10);
    expect(ac.accuracy.every((r) => r.verdict === 'differs')).toBe(true);
  });
});
