/**
 * rsn audit end to end on a tiny run (reference backend, a small budget): every round audited, audit.csv tidy with
 * a unique header, the ladder's worst case at most every rung's (and per image), the findings in words; a
 * second audit reads every record back instead of recomputing; bad flags are refused with what is allowed.
 */
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFlags } from '../../core/audit/round.js';
import { readCsv } from '../../core/results/csv.js';
import { rsn } from '../support/rsn-cli.js';

const SMALL_LADDER = ['--images', '40', '--sweep', '0,0.3,1', '--sweep_images', '20', '--pgd_iterations', '4', '--pgd_restarts', '2',
  '--apgd_iterations', '4', '--square_queries', '30', '--transfer_iterations', '3', '--backend', 'reference'];

describe('rsn audit', () => {
  let base = '';
  let first = { code: 0, stdout: '', stderr: '' };
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'rsn-audit-cli-'));
    const trained = await rsn(['train', '--base_dir', base, '--attack', 'pgd', '--adv_train', '--trials', '1', '--prune_iters', '1',
      '--train_iters', '6', '--eval_every', '3', '--valid_size', '60', '--test_size', '60', '--batch_size', '20', '--pgd_iters', '3']);
    expect(trained.code, trained.stderr).toBe(0);
    first = await rsn(['audit', base, ...SMALL_LADDER]);
  }, 300_000);

  it('audits every round and writes a tidy audit.csv whose worst case is at most every rung, per round', () => {
    expect(first.code, first.stderr).toBe(0);
    const rows = readCsv(join(base, 'report', 'audit.csv'));
    const header = readFileSync(join(base, 'report', 'audit.csv'), 'utf8').split('\n')[0]!.split(',');
    expect(new Set(header).size).toBe(header.length);
    for (const round of [0, 1]) {
      const ladder = rows.filter((r) => r.round === round && r.part === 'ladder');
      const worst = ladder.find((r) => r.attack === 'worst-case')!.accuracy as number;
      const attacks = ladder.filter((r) => r.kind !== 'clean' && r.attack !== 'worst-case');
      expect(attacks.map((r) => r.attack)).toEqual(round === 0
        ? ['fgsm', 'pgd-10', 'pgd-ce', 'pgd-dlr', 'apgd-ce', 'apgd-t', 'square']
        : ['fgsm', 'pgd-10', 'pgd-ce', 'pgd-dlr', 'apgd-ce', 'apgd-t', 'square', 'transfer']);
      for (const r of attacks) expect(worst).toBeLessThanOrEqual(r.accuracy as number);
      expect(rows.filter((r) => r.round === round && r.part === 'sweep').map((r) => r.eps)).toEqual([0, 0.3, 1]);
    }
    const findings = readFileSync(join(base, 'report', 'audit-findings.md'), 'utf8');
    expect(findings).toMatch(/black-box-beats-white-box/);
    expect(findings).toMatch(/not-monotone-in-eps/);
  });

  it('keeps per-image records: the worst case is the AND of the clean and every rung, image by image', () => {
    const roundDir = readdirSync(base, { recursive: true, encoding: 'utf8' }).find((p) => p.endsWith(join('prune_iter_01', 'audit')))!;
    const files = readdirSync(join(base, roundDir)).filter((f) => f.endsWith('.json'));
    const records = files.map((f) => JSON.parse(readFileSync(join(base, roundDir, f), 'utf8')) as { rung?: string; correct: string; accuracy: number });
    const clean = records.find((r) => r.rung === undefined && 'correct' in r)!;
    const rungs = records.filter((r) => r.rung !== undefined);
    const robust = parseFlags(clean.correct);
    for (const r of rungs) parseFlags(r.correct).forEach((c, i) => (robust[i] = robust[i]! & c));
    for (const r of rungs) expect(parseFlags(r.correct).every((c, i) => c >= robust[i]!)).toBe(true);
    const csvWorst = readCsv(join(base, 'report', 'audit.csv')).find((r) => r.round === 1 && r.attack === 'worst-case')!.accuracy as number;
    expect(robust.reduce((a, b) => a + b, 0) / robust.length).toBe(csvWorst);
  });

  it('rsn report then puts the audit into index.html: its figure and its findings', async () => {
    const report = await rsn(['report', base, '--no-png']);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(join(base, 'report', 'index.html'), 'utf8');
    expect(html).toContain('Audit: accuracy under each attack of the ladder');
    expect(html).toMatch(/<h\d[^>]*>Audit findings<\/h\d>/);
    expect(html).toContain('black-box-beats-white-box');
  }, 120_000);

  it('a second audit reads every record back (nothing recomputed) and writes the same table', async () => {
    const before = readFileSync(join(base, 'report', 'audit.csv'), 'utf8');
    const again = await rsn(['audit', base, ...SMALL_LADDER]);
    expect(again.code, again.stderr).toBe(0);
    expect(readFileSync(join(base, 'report', 'audit.csv'), 'utf8')).toBe(before);
  }, 120_000);

  it('refuses bad flags with what is allowed, before any work', async () => {
    for (const [flags, message] of [
      [['--attacks', 'pgd,cw'], /unknown rung 'pgd'.*\n.*all' or some of: fgsm, pgd-10/],
      [['--images', '-3'], /--images takes a whole number; got '-3'/],
      [['--sweep', '0.1,2'], /'2' is not an eps in \[0, 1\]/],
      [['--pgd_restarts', '0'], /--pgd_restarts must be a whole number >= 1; got '0'/],
    ] as const) {
      const result = await rsn(['audit', base, ...flags]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  }, 120_000);
});
