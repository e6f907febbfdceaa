/**
 * Every CSV rsn writes names each column once (pandas renames a repeated column, `loss.1`, and a groupby can no
 * longer find it), and results.csv's columns are the ones docs/results.md documents. The CSVs come from a real
 * run: rsn train (reference backend, two short rounds, the original's evaluation schedule, FGSM adversarial
 * training, so that every optional column is written) and rsn report, with --compare.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCsv } from '../../core/results/csv.js';
import { rsn, SMALL } from '../support/rsn-cli.js';
import { tempRoot } from '../report/synthetic.js';

const temp = tempRoot('rsn-csv-headers-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const csvFiles = (dir: string): string[] => readdirSync(dir).flatMap((name) => {
  const path = join(dir, name);
  return statSync(path).isDirectory() ? csvFiles(path) : name.endsWith('.csv') ? [path] : [];
});
const header = (file: string): string[] => readFileSync(file, 'utf8').split('\n', 1)[0]!.split(',');

describe('the CSV files of a run and its report', () => {
  const base = join(temp, 'results');
  let files: string[] = [];

  beforeAll(async () => {
    const train = await rsn(['train', '--experiment', 'reinit_orig', '--adv_train', '--eval_schedule', 'original', ...SMALL, '--base_dir', base]);
    expect(train.code, train.stderr).toBe(0);
    for (const args of [['report', base, '--no-png'], ['report', base, '--compare', base, '--out', join(base, 'compared'), '--no-png']]) {
      const report = await rsn(args);
      expect(report.code, report.stderr).toBe(0);
    }
    files = csvFiles(base);
  }, 600_000);

  it('are the per-round CSVs and the report\'s', () => {
    const names = new Set(files.map((f) => f.slice(f.lastIndexOf('/') + 1)));
    expect([...names].sort()).toEqual(['paper-comparison.csv', 'results.csv', 'rounds.csv', 'summaries.csv', 'test.csv', 'train.csv', 'valid.csv']);
    expect(files.filter((f) => f.endsWith('/test.csv'))).toHaveLength(2);
  });

  it('name every column once', () => {
    for (const file of files) {
      const columns = header(file);
      expect(columns.filter((c, k) => columns.indexOf(c) !== k), file).toEqual([]);
    }
  });

  it('results.csv names the loss form loss_form and the metric loss, as docs/results.md does for every column', () => {
    const columns = header(files.find((f) => f.endsWith('/report/results.csv'))!);
    expect(columns).toContain('loss_form');
    expect(columns).toContain('loss');
    const docs = readFileSync(new URL('../../docs/results.md', import.meta.url), 'utf8');
    expect(columns.filter((c) => !docs.includes(`\`${c}\``))).toEqual([]);
  });

  it('a header naming a column twice is refused when written', () => {
    expect(() => toCsv(['loss', 'acc', 'loss'], [])).toThrow(/names loss more than once/);
    expect(toCsv(['loss_form', 'loss'], [{ loss_form: 'logits', loss: 0.5 }])).toBe('loss_form,loss\nlogits,0.5\n');
  });
});
