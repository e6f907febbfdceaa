import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as paths from '../../core/results/paths.js';
import {
  aggregateAt, curve, earlyStoppingStats, roundNear, roundsOf, rowAtOrBelow, stat, wallSeconds,
} from '../../core/report/aggregate.js';
import type { EvalRow } from '../../core/results/records.js';
import { CorruptResultsError, loadResults, NoResultsError, type ConfigResult, type ResultsSet } from '../../core/report/load.js';
import { writeConfig, writeIncompleteRound, writeStandardTree, tempRoot } from './synthetic.js';

const temp = tempRoot('rsn-report-load-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

let set: ResultsSet;
const find = (experiment: string, attack = 'fgsm', advTrain = false): ConfigResult =>
  set.configs.find((c) => c.config.experiment === experiment && c.config.attack === attack && c.config.adv_train === advTrain)!;

beforeAll(() => {
  writeStandardTree(join(temp, 'standard'));
  set = loadResults(join(temp, 'standard'));
});

describe('stat', () => {
  it('gives mean and sample sd (n - 1)', () => {
    const s = stat([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect([s.n, s.min, s.max]).toEqual([4, 1, 4]);
  });
  it('has no sd for one value and ignores NaN', () => {
    const s = stat([NaN, 7]);
    expect(s.mean).toBe(7);
    expect(s.sd).toBeNaN();
    expect(s.n).toBe(1);
    expect(stat([]).n).toBe(0);
  });
});

describe('rowAtOrBelow', () => {
  const row = (batch: number): EvalRow => ({ batch, step: batch, loss: 0, acc: batch, adv_acc: 0, adv_loss: 0 });
  const rows = [row(1000), row(0), row(500)];
  it('picks the evaluation at or below the iteration, whatever the row order', () => {
    expect(rowAtOrBelow(rows, 500)?.batch).toBe(500);
    expect(rowAtOrBelow(rows, 999)?.batch).toBe(500);
    expect(rowAtOrBelow(rows, 30000)?.batch).toBe(1000);
    expect(rowAtOrBelow(rows, -1)).toBeUndefined();
  });
});

describe('loadResults on the synthetic tree', () => {
  it('finds every configuration and trial', () => {
    expect(set.configs).toHaveLength(6);
    for (const c of set.configs) expect(c.trials.map((t) => t.trial)).toEqual([0, 1, 2]);
    expect(find('reinit_orig').trials[0]!.rounds).toHaveLength(19);
    expect(find('reinit_rand').trials[0]!.rounds).toHaveLength(9);
    expect(find('reinit_orig').trials[0]!.manifest?.backend).toBe('reference');
  });
  it('ignores an unfinished round and says so', () => {
    expect(find('reinit_orig').trials[2]!.rounds.map((r) => r.round)).not.toContain(19);
    expect(set.notes.some((n) => n.includes('trial_02') && n.includes('round(s) 19 incomplete'))).toBe(true);
  });
  it('keys configurations by their path below the root', () => {
    expect(find('reinit_orig', 'pgd', true).key).toMatch(/\/digits\/dense-300-100\/reinit_orig\/pgd\/lr-0\.0012_l1-0\.0_advtrain-true$/);
  });
});

describe('aggregation (values derived by hand from the synthetic formulas)', () => {
  it('round 3 at iteration 30000: acc 0.915, 0.935, 0.955 over trials', () => {
    const a = aggregateAt(find('reinit_orig'), 3, 30000)!;
    expect(a.iterations).toEqual([30000]);
    expect(a.n).toBe(3);
    expect(a.percent).toBeCloseTo(51.3, 10);
    expect(a.test.acc.mean).toBeCloseTo(0.935, 12);
    expect(a.test.acc.sd).toBeCloseTo(0.02, 12);
    expect(a.test.adv_acc.mean).toBeCloseTo(0.135, 12);
    expect(a.test.loss.mean).toBeCloseTo(0.065, 12);
    expect(a.valid.acc.mean).toBeCloseTo(0.936, 12);
  });
  it('uses the nearest evaluation at or below the iteration', () => {
    expect(aggregateAt(find('reinit_orig'), 3, 25000)!.iterations).toEqual([20000]);
    expect(aggregateAt(find('reinit_orig'), 3, 25000)!.test.acc.mean).toBeCloseTo(0.925, 12);
    expect(aggregateAt(find('reinit_orig'), 3, 9999)!.test.acc.mean).toBeCloseTo(0.905, 12);
    expect(aggregateAt(find('reinit_orig'), 3, -1)).toBeUndefined();
    expect(aggregateAt(find('reinit_orig'), 40, 30000)).toBeUndefined();
  });
  it('PGD, adversarial training, random reinit: the offsets of the formulas', () => {
    expect(aggregateAt(find('reinit_orig', 'pgd', true), 0, 30000)!.test.adv_acc.mean).toBeCloseTo(0.6 - 0.01 + 0.02 + 0.03, 12);
    expect(aggregateAt(find('reinit_rand'), 0, 30000)!.test.acc.mean).toBeCloseTo(0.9 - 0.01 + 0.02 + 0.03, 12);
  });
  it('curves: per iteration over trials', () => {
    const points = curve(find('reinit_orig'), 0, 'test', 'acc');
    expect(points.map((p) => p.iteration)).toEqual([0, 10000, 20000, 30000]);
    expect(points.map((p) => p.stat.mean)).toEqual([0.92, 0.93, 0.94, 0.95].map((v) => expect.closeTo(v, 12)));
    expect(points[0]!.stat.min).toBeCloseTo(0.9, 12);
    expect(points[0]!.stat.max).toBeCloseTo(0.94, 12);
  });
  it('early stopping and wall time', () => {
    const es = earlyStoppingStats(find('reinit_orig'), 1);
    expect(es.iteration.mean).toBe(20000);
    expect(es.valid_acc.mean).toBeCloseTo(0.9 + 0.02 - 0.005 + 0.02 + 0.001, 12);
    const w = wallSeconds(find('reinit_orig'), 3);
    expect([w.mean, w.sd]).toEqual([14, 1]);
  });
  it('matches sparsities to rounds within 10%, and no further', () => {
    const orig = find('reinit_orig');
    expect(roundsOf(orig)).toHaveLength(19);
    expect(roundNear(orig, 51.3)?.round).toBe(3);
    expect(roundNear(orig, 1.8)?.round).toBe(18);
    expect(roundNear(orig, 45)?.round).toBe(4);
    expect(roundNear(orig, 47)?.round).toBe(3);
    expect(roundNear(find('reinit_rand'), 3.6)).toBeUndefined();
    expect(roundNear(find('reinit_rand'), 16.9)?.round).toBe(8);
  });
});

describe('missing, incomplete and corrupt results', () => {
  const small = (name: string): { root: string; dir: string; round: (r: number) => string } => {
    const root = join(temp, name);
    const dir = writeConfig(root, { dataset: 'fashion', experiment: 'reinit_orig' }, { trials: 1, rounds: 2, trainIters: 1000, evalEvery: 500 });
    return { root, dir, round: (r) => paths.roundDir(paths.trialDir(dir, 0), r) };
  };

  it('a missing directory says to run rsn train or rsn bench first', () => {
    expect(() => loadResults(join(temp, 'nowhere'))).toThrow(NoResultsError);
    expect(() => loadResults(join(temp, 'nowhere'))).toThrow(/does not exist[\s\S]*rsn train or rsn bench first/);
  });
  it('a directory without config.json', () => {
    mkdirSync(join(temp, 'empty'));
    expect(() => loadResults(join(temp, 'empty'))).toThrow(/no config\.json[\s\S]*rsn train/);
  });
  it('configurations whose rounds are all unfinished', () => {
    const { root, dir } = small('unfinished');
    rmSync(paths.trialDir(dir, 0), { recursive: true });
    writeIncompleteRound(dir, 0, 0);
    expect(() => loadResults(root)).toThrow(/no completed pruning round/);
  });
  it('a summary that is not JSON names the file', () => {
    const { root, round } = small('badjson');
    writeFileSync(paths.roundSummary(round(1)), '{"round": 1,');
    const error = (() => { try { loadResults(root); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(CorruptResultsError);
    expect((error as Error).message).toContain(paths.roundSummary(round(1)));
    expect((error as Error).message).toMatch(/not valid JSON/);
  });
  it('a summary without early_stopping values', () => {
    const { root, round } = small('nofield');
    writeFileSync(paths.roundSummary(round(0)), JSON.stringify({ round: 0, percent_remaining: 100, remaining: [1], train_iters: 1, wall_seconds: 1, early_stopping: { iteration: 0 } }));
    expect(() => loadResults(root)).toThrow(/summary\.json: early_stopping\.valid_loss is missing/);
  });
  it('null early-stopping values (NaN in JSON: no validation set) load as NaN', () => {
    const { root, round } = small('novalid');
    const file = paths.roundSummary(round(1));
    const summary = JSON.parse(readFileSync(file, 'utf8')) as { early_stopping: Record<string, unknown> };
    summary.early_stopping.valid_loss = null;
    summary.early_stopping.valid_acc = null;
    writeFileSync(file, JSON.stringify(summary));
    const es = earlyStoppingStats(loadResults(root).configs[0]!, 1);
    expect(es.valid_acc.n).toBe(0);
    expect(es.test_acc.n).toBe(1);
  });
  it('a CSV without the evaluation columns, or with a non-number', () => {
    const a = small('badheader');
    writeFileSync(paths.metricsFile(a.round(0), 'test'), 'batch,loss,acc\n0,1,0.5\n');
    expect(() => loadResults(a.root)).toThrow(/test\.csv: lacks the column\(s\) adv_acc, adv_loss/);
    const b = small('badcell');
    writeFileSync(paths.metricsFile(b.round(1), 'valid'), 'batch,loss,acc,adv_acc,adv_loss\n0,1,oops,0.1,2\n');
    expect(() => loadResults(b.root)).toThrow(/valid\.csv: line 2: acc is 'oops'/);
  });
  it('a complete round without its test.csv', () => {
    const { root, round } = small('nocsv');
    rmSync(paths.metricsFile(round(1), 'test'));
    expect(() => loadResults(root)).toThrow(CorruptResultsError);
    expect(() => loadResults(root)).toThrow(/test\.csv: cannot be read/);
  });
  it('a config.json without its configuration', () => {
    const { root, dir } = small('badconfig');
    writeFileSync(paths.configFile(dir), JSON.stringify({ experiment_id: 'x' }));
    expect(() => loadResults(root)).toThrow(/config\.json: has no 'config' object/);
  });
  it('what to do depends on the file: config.json and manifest.json are not a round to delete', () => {
    const a = small('confighint');
    writeFileSync(paths.configFile(a.dir), '{"experiment_id": "x", "conf');
    expect(() => loadResults(a.root)).toThrow(`rm '${paths.configFile(a.dir)}') and run the rsn train or rsn bench command that made these results again`);
    expect(() => loadResults(a.root)).not.toThrow(/round directory/);
    const b = small('manifesthint');
    const manifest = paths.trialManifest(paths.trialDir(b.dir, 0));
    writeFileSync(manifest, '{"trial": 0, "rou');
    expect(() => loadResults(b.root)).toThrow(`rm '${manifest}'): the report then takes timings from the round summaries`);
    expect(() => loadResults(b.root)).not.toThrow(/round directory/);
  });
  it('a complete round whose .npy is truncated, garbled or missing, or whose train.csv header is broken', () => {
    const damages: [string, (round: string) => string, (file: string) => void][] = [
      ['truncated', (r) => paths.kernelFile(r, 'post_kernels', 'hidden_2'), (f) => writeFileSync(f, readFileSync(f).subarray(0, 100))],
      ['garbled', (r) => paths.kernelFile(r, 'masks', 'output'), (f) => writeFileSync(f, Buffer.alloc(readFileSync(f).length, 0x20))],
      ['missing', (r) => paths.kernelFile(r, 'init_kernels', 'hidden_1'), (f) => rmSync(f)],
      ['csv', (r) => paths.metricsFile(r, 'train'), (f) => writeFileSync(f, readFileSync(f, 'utf8').replace('batch,', 'batch;'))],
    ];
    for (const [name, file, damage] of damages) {
      const a = small(`damaged-${name}`);
      damage(file(a.round(1)));
      expect(() => loadResults(a.root), name).toThrow(CorruptResultsError);
      expect(() => loadResults(a.root), name).toThrow(file(a.round(1)));
    }
  });
  it('a trial without manifest.json still loads, with a note', () => {
    const { root, dir } = small('nomanifest');
    rmSync(paths.trialManifest(paths.trialDir(dir, 0)));
    const loaded = loadResults(root);
    expect(loaded.configs[0]!.trials[0]!.manifest).toBeUndefined();
    expect(loaded.notes.some((n) => n.includes('no manifest.json'))).toBe(true);
  });
});
