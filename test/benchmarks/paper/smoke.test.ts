import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { overlong } from '../../../cli/wrap.js';
import { THIRD_PARTY } from '../../support/rsn-cli.js';

const rsn = (...args: string[]) => promisify(execFile)('node', ['bin/rsn.js', ...args], { maxBuffer: 64 << 20 });

/** The smoke preset end to end, as CI runs it: rsn bench on real digits, then rsn report on its results. */
describe('smoke preset', () => {
  it('runs every job, skips them on a second run, and renders its report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsn-smoke-'));
    const first = await rsn('bench', '--preset', 'smoke', '--base_dir', dir, '--jobs', '2');
    expect(first.stderr).toContain('all 6 jobs done');
    expect(first.stdout).toMatch(/^the paper's Tables 1-2: \d+ agree, \d+ differ \(\d+ of 96 cells have results here\)$/m);
    // 80 columns, nothing printed by a dependency (a path alone on its line may be longer)
    expect(overlong(`${first.stdout}${first.stderr}`)).toEqual([]);
    expect(`${first.stdout}${first.stderr}`).not.toMatch(THIRD_PARTY);
    const listed = (await rsn('bench', '--preset', 'smoke', '--base_dir', dir, '--list')).stdout.trim().split('\n');
    expect(listed).toHaveLength(6);
    expect(listed.every((line) => line.split('\t')[2] === 'done')).toBe(true);
    const again = await rsn('bench', '--preset', 'smoke', '--base_dir', dir);
    expect(again.stderr).toContain('6 jobs (6 already done)');

    const out = join(dir, 'report');
    await rsn('report', dir, '--out', out);
    for (const file of ['index.html', 'tables.md', 'tables.tex', 'paper-comparison.md']) expect(existsSync(join(out, file)), file).toBe(true);
    const png = readFileSync(join(out, 'figures', 'digits-fgsm-advtrain-test-acc.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  }, 600_000);
});
