import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PAPER_SETTINGS, PAPER_TABLES, type PaperRow } from '../../../benchmarks/paper/expected.js';

/** The paper's tables as the repository documents them. */
const PAPER_RESULTS = fileURLToPath(new URL('../../../docs/paper-results.md', import.meta.url));
const COLUMNS = ['fgsm_nat', 'fgsm_adv', 'pgd_nat', 'pgd_adv'] as const;

/** The rows of one '## Table N' section: '| 100.0 | 98.33±.33 / 98.25±.11 | ... |'. */
function parseTable(markdown: string, heading: string): number[][] {
  const section = markdown.split('\n## ').find((s) => s.startsWith(heading));
  if (!section) throw new Error(`no section '${heading}' in paper-results.md`);
  return section.split('\n').filter((line) => /^\|\s*\d/.test(line)).map((line) => {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    return [Number(cells[0]), ...cells.slice(1).flatMap((cell) => cell.split('/').flatMap((half) => half.trim().split('±').map(Number)))];
  });
}

const flatten = (row: PaperRow): number[] => [row.percent, ...COLUMNS.flatMap((c) => row[c].flatMap((x) => [x.mean, x.sd]))];

describe('the paper fixture (benchmarks/paper/expected.ts)', () => {
  it('matches every cell of docs/paper-results.md', () => {
    const markdown = readFileSync(PAPER_RESULTS, 'utf8');
    const digits = parseTable(markdown, 'Table 1, MNIST Digits');
    const fashion = parseTable(markdown, 'Table 2, Fashion-MNIST');
    expect(digits).toHaveLength(6);
    expect(digits[0]).toHaveLength(17);
    expect(PAPER_TABLES.digits.map(flatten)).toEqual(digits);
    expect(PAPER_TABLES.fashion.map(flatten)).toEqual(fashion);
    expect(markdown).toContain(`training step ${PAPER_SETTINGS.effective_step.toLocaleString('en-US')}`);
  });

  it('a few cells checked by hand', () => {
    const [d100, d51] = PAPER_TABLES.digits;
    expect(d100!.percent).toBe(100);
    expect(d100!.fgsm_nat[0]).toEqual({ mean: 98.33, sd: 0.33 }); // 98.33±.33 / 98.25±.11
    expect(d100!.fgsm_nat[1]).toEqual({ mean: 98.25, sd: 0.11 });
    expect(d51!.pgd_adv[1]).toEqual({ mean: 60.14, sd: 0.99 }); // 2.01±1.02 / 60.14±.99
    const f18 = PAPER_TABLES.fashion[5]!;
    expect(f18.percent).toBe(1.8);
    expect(f18.fgsm_adv).toEqual([{ mean: 8.96, sd: 0.62 }, { mean: 78.07, sd: 1.4 }]); // 8.96±.62 / 78.07±1.40
    expect(PAPER_TABLES.digits.map((r) => r.percent)).toEqual([100, 51.3, 16.9, 8.7, 3.6, 1.8]);
  });
});
