/**
 * What rsn prints fits an 80-column terminal and holds nothing a dependency printed (Dawn's "Couldn't load
 * Vulkan", vega's warnings): the help of every command, rsn backends, a short rsn train and its rsn report, and
 * errors on a terminal. A path alone on its line may be longer (it cannot be wrapped). rsn bench --help shows the
 * presets' values, not rsn train's defaults. The smoke preset's own output is checked in
 * test/benchmarks/paper/smoke.test.ts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { presetValues } from '../../cli/commands/bench.js';
import { errorLines } from '../../cli/main.js';
import { COLUMNS, overlong, wrap } from '../../cli/wrap.js';
import { PRESETS } from '../../benchmarks/paper/presets.js';
import { CONFIG_FIELDS, DEFAULT_CONFIG } from '../../core/experiment/config.js';
import { rsn, SMALL, THIRD_PARTY } from '../support/rsn-cli.js';
import { tempRoot } from '../report/synthetic.js';

const temp = tempRoot('rsn-terminal-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** The help text of one flag, its continuation lines joined. */
function flagHelp(help: string, flag: string): string {
  const lines = help.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  ${flag} `));
  const end = lines.findIndex((l, k) => k > start && /^ {2}-/.test(l));
  return lines.slice(start, end).join(' ').replace(/\s+/g, ' ');
}

describe('an 80-column terminal', () => {
  it('fits the help of rsn and of every command', async () => {
    for (const args of [['--help'], ['train', '--help'], ['bench', '--help'], ['report', '--help'], ['audit', '--help'], ['backends', '--help']]) {
      const run = await rsn(args);
      expect(run.code, args.join(' ')).toBe(0);
      expect(overlong(run.stdout), args.join(' ')).toEqual([]);
    }
  });

  it('fits rsn backends, which prints nothing on stderr (no Dawn warning)', async () => {
    const run = await rsn(['backends'], { RSN_WEBGPU_SOFTWARE: '' });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^reference +available/m);
    expect(overlong(run.stdout)).toEqual([]);
  });

  it('fits a short rsn train and its rsn report, with no line of a dependency', async () => {
    const base = join(temp, 'results');
    const train = await rsn(['train', '--experiment', 'reinit_orig', ...SMALL, '--base_dir', base]);
    expect(train.code, train.stderr).toBe(0);
    const report = await rsn(['report', base, '--no-png']);
    expect(report.code, report.stderr).toBe(0);
    for (const run of [train, report]) {
      const text = `${run.stdout}${run.stderr}`;
      expect(overlong(text)).toEqual([]);
      expect(text).not.toMatch(THIRD_PARTY);
    }
    expect(report.stderr).toBe('');
  }, 300_000);

  it('wraps an error on a terminal, the hint indented, and keeps it on one line in logs', () => {
    const message = `--seed takes a whole number from 0 to 4294967295; got '-1' ${'and more words '.repeat(6)}\n  -> the generator takes 32-bit seeds: ${'pick another seed '.repeat(4)}`;
    const wrapped = errorLines(message, 120);
    expect(wrapped.split('\n').every((line) => line.length <= COLUMNS)).toBe(true);
    expect(wrapped.startsWith('rsn: --seed takes')).toBe(true);
    expect(wrapped).toMatch(/\n {7}-> the generator/);
    expect(wrapped.replace(/\n +/g, ' ')).toBe(`rsn: ${message.replace(/\n +/g, ' ')}`.replace(/ +/g, ' ').trim());
    expect(errorLines(message)).toBe(`rsn: ${message}`);
  });

  it('wrap keeps a word longer than the line whole', () => {
    const path = `/${'very-long-folder/'.repeat(6)}results`;
    expect(wrap(`results in ${path} now`, 40).split('\n')).toEqual(['results in', path, 'now']);
    expect(overlong(`results in\n${path}`, 40)).toEqual([]);
  });
});

describe('rsn bench --help', () => {
  it("shows the presets' values where they set a flag, not rsn train's defaults", async () => {
    const help = (await rsn(['bench', '--help'])).stdout;
    const set = CONFIG_FIELDS.filter((f) => Object.values(PRESETS).some((p) => p.config[f.key] !== undefined) && !['dataset', 'attack', 'adv_train', 'experiment'].includes(f.key));
    expect(set.map((f) => f.key)).toEqual(expect.arrayContaining(['trials', 'train_iters', 'prune_iters', 'loss', 'reset_to']));
    for (const field of set) {
      const text = flagHelp(help, `--${field.key}`);
      const values = Object.values(PRESETS).map((p) => String(p.config[field.key] ?? DEFAULT_CONFIG[field.key]));
      for (const [k, p] of Object.values(PRESETS).entries()) expect(text, field.key).toContain(values.every((v) => v === values[0]) ? values[0]! : `${p.name} ${values[k]}`);
      expect(text, field.key).toContain(`(default: ${presetValues(field.key)})`);
      if (!values.includes(String(DEFAULT_CONFIG[field.key]))) expect(text, field.key).not.toContain(`default: ${JSON.stringify(DEFAULT_CONFIG[field.key])}`);
    }
    expect(flagHelp(help, '--trials')).toContain('(default: paper 5, quick 1, smoke 1)');
    expect(flagHelp(help, '--loss')).not.toContain("'logits' (default)");
  });

  it('states the quick preset\'s time as README does', async () => {
    const readme = (await import('node:fs')).readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(PRESETS.quick!.description).toContain('about 40 minutes on a 2-core machine');
    expect(readme).toContain('about 40 minutes on a 2-core machine');
    expect(readme).not.toMatch(/about an hour/);
  });
});
