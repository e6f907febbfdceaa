/**
 * rsn bench's estimate in the CLI: the --list header and cost column, the totals, the estimate printed before a
 * run and the ETA it gives from the first progress line; and the progress arithmetic by hand.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { coreHours, EstimatedProgress, formatSpan } from '../../cli/bench-estimate.js';
import type { JobEstimate } from '../../benchmarks/paper/estimate.js';
import type { Job } from '../../core/experiment/jobs/job.js';
import { rsn } from '../support/rsn-cli.js';

const job = (index: number, rounds: number[]): JobEstimate => ({ job: { index } as Job, rounds, seconds: rounds.reduce((a, b) => a + b, 0) });

describe('EstimatedProgress', () => {
  // Job 0: two rounds of 10 s; job 1: one round of 30 s; one worker: 50 s in all.
  const jobs = [job(0, [10, 10]), job(1, [30])];

  it('gives the estimate as the ETA before anything is done', () => {
    const progress = new EstimatedProgress(jobs, 1);
    expect(progress.fraction()).toBe(0);
    expect(progress.eta(0)).toBe(50);
    expect(new EstimatedProgress(jobs, 2).eta(0)).toBe(30); // the longer of 20 and 30
  });

  it('weighs progress by estimated seconds, and corrects the ETA by the measured speed once a twentieth is done', () => {
    const progress = new EstimatedProgress(jobs, 1);
    progress.set(0, 1, 50, 100); // round 0 (10 s) and half of round 1 (5 s): 15 of 50
    expect(progress.fraction()).toBeCloseTo(0.3, 12);
    // Left: 5 + 30 = 35 s by the estimate, whose 15 s so far took 30: twice as slow.
    expect(progress.eta(30)).toBeCloseTo(70, 9);
    expect(progress.eta(15)).toBeCloseTo(35, 9);
  });

  it('trusts the measured speed in proportion until a twentieth is done', () => {
    const progress = new EstimatedProgress([job(0, [100]), job(1, [100])], 1);
    progress.set(0, 0, 5, 100); // 5 of 200 s: 2.5%, weight 0.5
    // Left 195 s; 5 s expected so far took 10 (speed 2): 195 * (1 + 0.5 * (2 - 1)).
    expect(progress.eta(10)).toBeCloseTo(292.5, 9);
    progress.finish(0);
    progress.finish(1);
    expect(progress.fraction()).toBe(1);
    expect(progress.eta(400)).toBe(0);
  });

  it('formats long spans in days, core-hours to three digits', () => {
    expect(formatSpan(156 * 3600)).toBe('6.5 days (156 h)');
    expect(formatSpan(90)).toBe('1m30s');
    expect([coreHours(50.8), coreHours(4.234 * 3600), coreHours(12.34 * 3600), coreHours(312.4 * 3600)]).toEqual(['0.0141', '4.23', '12.3', '312']);
  });
});

describe('rsn bench --estimate', () => {
  it('--list: a header on stderr, each job with its core-hours on stdout, and the totals', async () => {
    const base = mkdtempSync(join(tmpdir(), 'rsn-estimate-list-'));
    const listed = await rsn(['bench', '--preset', 'smoke', '--list', '--estimate', '--base_dir', base, '--jobs', '2'], { RSN_BACKEND: 'wasm' });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toContain('index\tjob\tstatus\tfolder\tbatch\tcore-hours\n');
    const rows = listed.stdout.trim().split('\n').map((l) => l.split('\t'));
    expect(rows).toHaveLength(6);
    const hours = rows.map((r) => Number(r[5]));
    expect(hours.every((h) => Number.isFinite(h) && h > 0), listed.stdout).toBe(true);
    const total = /6 jobs, ([\d.e-]+) core-hours; 6 pending, ([\d.e-]+) core-hours, .* with 2 workers/.exec(listed.stderr);
    expect(total, listed.stderr).not.toBeNull();
    // The total is the sum of the rows (each to three significant digits).
    expect(Number(total![1])).toBeCloseTo(hours.reduce((a, b) => a + b, 0), 3);
    // Without --estimate: the same rows without the column, and no calibration.
    const plain = await rsn(['bench', '--preset', 'smoke', '--list', '--base_dir', base]);
    expect(plain.stderr).toBe('index\tjob\tstatus\tfolder\tbatch\n');
    expect(plain.stdout.trim().split('\n').map((l) => l.split('\t'))).toEqual(rows.map((r) => r.slice(0, 5)));
  }, 300_000);

  it('a run prints the estimate before starting, and its first progress line already has an ETA', async () => {
    const base = mkdtempSync(join(tmpdir(), 'rsn-estimate-run-'));
    const run = await rsn(['bench', '--preset', 'smoke', '--estimate', '--base_dir', base, '--jobs', '1', '--prune_iters', '0'], { RSN_BACKEND: 'wasm' });
    expect(run.code, run.stderr).toBe(0);
    // The line is wrapped at 80 columns, its continuation lines indented by two spaces.
    expect(run.stderr.replace(/\n {2}/g, ' ')).toMatch(/estimate on backend wasm on this machine \(calibrated in [^)]+\): 6 pending jobs, [\d.e-]+ core-hours, \S+ with 1 worker\n/);
    const first = run.stderr.split('\n').find((l) => /\d+\.\d%\s+0\/6 jobs/.test(l));
    expect(first, run.stderr).toMatch(/ETA (\d+h\d\dm|\d+m\d\ds|\d+s)$/);
    expect(run.stderr.indexOf('estimate on backend')).toBeLessThan(run.stderr.indexOf(first!));
  }, 300_000);
});
