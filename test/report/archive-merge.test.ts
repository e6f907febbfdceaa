/**
 * Archives merged trial by trial: the oracle is the report of the whole raw tree. Cut into two archives that
 * overlap (the first with a stale copy of trial 1, the second with trial 1 again and trial 2), the merge gives
 * the whole tree's results.csv and summaries.csv byte for byte; in the other order the stale rounds win. A later
 * set holding only a trial's round 0 replaces that trial whole.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveMergeError, mergeResultsSets, writeArchive } from '../../core/report/archive-merge.js';
import { loadArchive } from '../../core/report/archive.js';
import { loadResults } from '../../core/report/load.js';
import { writeReport } from '../../core/report/report.js';
import { parseCsv, toCsv, type CsvRow } from '../../core/results/csv.js';
import { tempRoot, writeStandardTree } from './synthetic.js';

const temp = tempRoot('rsn-archive-merge-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const FILES = ['results.csv', 'summaries.csv'] as const;

/** An archive of the rows `keep` takes from the whole report's files, each row changed by `change`. */
function cutArchive(from: string, dir: string, keep: (row: CsvRow) => boolean, change: (row: CsvRow) => CsvRow = (r) => r): void {
  mkdirSync(dir, { recursive: true });
  for (const file of FILES) {
    const text = readFileSync(join(from, file), 'utf8');
    const columns = text.slice(0, text.indexOf('\n')).split(',');
    writeFileSync(join(dir, file), toCsv(columns, parseCsv(text).filter(keep).map(change)));
  }
}

describe('merging archives', () => {
  const whole = join(temp, 'whole-report');
  const first = join(temp, 'first');
  const second = join(temp, 'second');
  const stale = (row: CsvRow): CsvRow =>
    row.trial === 1 ? { ...row, ...(typeof row.acc === 'number' ? { acc: row.acc - 0.25 } : {}), ...(typeof row.final_test_acc === 'number' ? { final_test_acc: row.final_test_acc - 0.25 } : {}) } : row;

  const raw = join(temp, 'raw');

  beforeAll(async () => {
    writeStandardTree(raw);
    await writeReport(raw, { out: whole, png: false });
    cutArchive(whole, first, (row) => row.trial !== 2, stale);
    cutArchive(whole, second, (row) => row.trial !== 0);
  }, 300_000);

  it('gives the whole tree\'s results.csv and summaries.csv when the later archive holds the fresh rounds', () => {
    const out = join(temp, 'merged');
    mkdirSync(out);
    writeArchive(mergeResultsSets([loadArchive(first), loadArchive(second)]), out);
    for (const file of FILES) expect(readFileSync(join(out, file), 'utf8')).toBe(readFileSync(join(whole, file), 'utf8'));
  });

  it('takes raw runs as well: an archive updated from the runs\' folder gives the runs\' own report', () => {
    const out = join(temp, 'from-runs');
    mkdirSync(out);
    writeArchive(mergeResultsSets([loadArchive(first), loadResults(raw)]), out);
    for (const file of FILES) expect(readFileSync(join(out, file), 'utf8')).toBe(readFileSync(join(whole, file), 'utf8'));
  });

  it('keeps the later archive\'s rounds: in the other order the stale trial 1 wins', () => {
    const set = mergeResultsSets([loadArchive(second), loadArchive(first)]);
    const trial1 = set.configs[0]!.trials.find((t) => t.trial === 1)!;
    const fresh = loadArchive(second).configs[0]!.trials.find((t) => t.trial === 1)!;
    expect(trial1.rounds[0]!.summary.final.test.acc).toBeCloseTo(fresh.rounds[0]!.summary.final.test.acc - 0.25, 12);
    expect(set.configs.map((c) => c.trials.map((t) => t.trial))).toEqual(loadResults(whole).configs.map((c) => c.trials.map((t) => t.trial)));
  });

  it('replaces a trial whole: a rerun that has reached round 0 does not keep the replaced run\'s later rounds', () => {
    const rerun = join(temp, 'rerun-round0');
    cutArchive(whole, rerun, (row) => row.trial === 1 && row.round === 0);
    const set = mergeResultsSets([loadArchive(first), loadArchive(rerun)]);
    const fresh = new Map(loadArchive(second).configs.map((c) => [c.key, c.trials.find((t) => t.trial === 1)!]));
    expect(set.configs.length).toBe(fresh.size);
    set.configs.forEach((config) => {
      const trial1 = config.trials.find((t) => t.trial === 1)!;
      expect(trial1.rounds.map((r) => r.round)).toEqual([0]);
      expect(trial1.rounds[0]!.summary.final.test.acc).toBe(fresh.get(config.key)!.rounds[0]!.summary.final.test.acc);
      expect(config.trials.find((t) => t.trial === 0)!.rounds.length).toBeGreaterThan(1);
    });
  });

  it('keeps the archived trial while a rerun of it has no complete round', () => {
    const started = loadArchive(second);
    const noRounds = { ...started, configs: started.configs.map((c) => ({ ...c, trials: c.trials.map((t) => ({ ...t, rounds: [] })) })) };
    const set = mergeResultsSets([loadArchive(first), noRounds]);
    const archived = loadArchive(first);
    expect(set.configs.map((c) => c.trials.map((t) => [t.trial, t.rounds.length]))).toEqual(archived.configs.map((c) => c.trials.map((t) => [t.trial, t.rounds.length])));
  });

  it('refuses a configuration whose settings differ between the sets', () => {
    const other = join(temp, 'other-settings');
    cutArchive(whole, other, () => true, (row) => ({ ...row, label_smoothing: 0.2 }));
    expect(() => mergeResultsSets([loadArchive(first), loadArchive(other)])).toThrow(ArchiveMergeError);
  });
});
