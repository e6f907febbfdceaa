/**
 * An archive (results.csv and summaries.csv alone) gives the report of the runs it was written from: the oracle is
 * the report of the raw tree itself, file by file.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paperComparisonSection } from '../../benchmarks/paper/compare.js';
import { ArchiveError, isArchive, loadArchive } from '../../core/report/archive.js';
import { loadResults } from '../../core/report/load.js';
import { writeReport } from '../../core/report/report.js';
import { parseCsv, toCsv } from '../../core/results/csv.js';
import { tempRoot, writeConfig, writeStandardTree } from './synthetic.js';

const temp = tempRoot('rsn-archive-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

function archiveOf(reportDir: string, archiveDir: string): void {
  mkdirSync(archiveDir, { recursive: true });
  for (const file of ['results.csv', 'summaries.csv']) copyFileSync(join(reportDir, file), join(archiveDir, file));
}

describe('a report rebuilt from an archive', () => {
  const raw = join(temp, 'raw');
  const archive = join(temp, 'archive');
  const fromRaw = join(temp, 'from-raw');
  const fromArchive = join(temp, 'from-archive');
  let notes: readonly string[] = [];

  beforeAll(async () => {
    writeStandardTree(raw);
    await writeReport(raw, { out: fromRaw, png: false, iteration: 30000, sections: paperComparisonSection });
    archiveOf(fromRaw, archive);
    notes = (await writeReport(archive, { out: fromArchive, png: false, iteration: 30000, sections: paperComparisonSection })).notes;
  }, 300_000);

  for (const file of ['results.csv', 'summaries.csv', 'rounds.csv', 'tables.md', 'tables.tex', 'paper-comparison.csv', 'paper-comparison.md']) {
    it(`writes the same ${file} as the report of the raw runs`, () => {
      expect(readFileSync(join(fromArchive, file), 'utf8')).toBe(readFileSync(join(fromRaw, file), 'utf8'));
    });
  }

  it('draws the same accuracy curves; the initial-weights figures, which need the weights, are left out with a note', () => {
    for (const name of ['digits-fgsm-advtrain-test-acc', 'digits-pgd-natural-test-adv-acc', 'digits-fgsm-natural-early-stopping']) {
      expect(readFileSync(join(fromArchive, 'figures', `${name}.svg`), 'utf8')).toBe(readFileSync(join(fromRaw, 'figures', `${name}.svg`), 'utf8'));
    }
    expect(() => readFileSync(join(fromArchive, 'figures', 'digits-fgsm-natural-init-weights.svg'))).toThrow();
    expect(notes.some((n) => n.includes('archive') && n.includes('weight distributions'))).toBe(true);
  });

  it('is read only where no config.json lies below (a results tree is never taken for an archive)', () => {
    expect(isArchive(archive)).toBe(true);
    expect(loadResults(archive).archive).toBe(true);
    archiveOf(fromRaw, join(raw, 'report-copy'));
    expect(loadResults(raw).archive).toBeUndefined();
  });

  it('refuses an archive with a missing column, naming the file and the column', () => {
    const broken = join(temp, 'broken');
    mkdirSync(broken, { recursive: true });
    copyFileSync(join(archive, 'results.csv'), join(broken, 'results.csv'));
    const rows = parseCsv(readFileSync(join(archive, 'summaries.csv'), 'utf8'));
    const columns = Object.keys(rows[0]!).filter((c) => c !== 'es_step');
    writeFileSync(join(broken, 'summaries.csv'), toCsv(columns, rows));
    expect(() => loadArchive(broken)).toThrow(ArchiveError);
    expect(() => loadArchive(broken)).toThrow(/summaries\.csv: column es_step is 'undefined'/);
  });
});

describe('settings with commas', () => {
  it('round-trip through the archive (quoted cells read back whole)', async () => {
    const raw = join(temp, 'rates');
    writeConfig(raw, { prune_rates: 'hidden_1=0.3,output=0.05' }, { trials: 1, rounds: 2, trainIters: 200, evalEvery: 100 });
    const out = join(temp, 'rates-report');
    await writeReport(raw, { out, png: false });
    const archive = join(temp, 'rates-archive');
    archiveOf(out, archive);
    expect(loadArchive(archive).configs[0]!.config.prune_rates).toBe('hidden_1=0.3,output=0.05');
    expect(parseCsv('a,b,c\n"x,""y""",2,\n')).toEqual([{ a: 'x,"y"', b: 2, c: '' }]);
  });
});
