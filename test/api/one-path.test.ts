/**
 * The library goes through the CLI's path: it validates exactly as rsn train does (the same messages, nothing
 * written before), and it takes each trial's lease, so that it never writes into (or, with force, deletes) a trial
 * that a running rsn train holds.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment, runTrial } from '../../api/index.js';
import { DEFAULT_CONFIG, experimentId, type ExperimentConfig } from '../../core/experiment/config.js';
import { ConfigError, LeaseHeldError } from '../../core/errors.js';
import * as paths from '../../core/results/paths.js';
import type { TrialManifest } from '../../core/results/records.js';
import { rsn, SMALL } from '../support/rsn-cli.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const FIRST_LINE = (text: string) => text.replace(/^rsn: /, '').split('\n')[0]!;

/** The library's error message for a call; it must be a ConfigError and leave `base` uncreated. */
async function libraryRefusal(call: (base: string) => Promise<unknown>): Promise<string> {
  const base = join(temp('rsn-lib-refused-'), 'results');
  const error = await call(base).then(() => undefined, (e: unknown) => e);
  expect(error, 'the call was not refused').toBeInstanceOf(ConfigError);
  expect(existsSync(base), `${base} was created`).toBe(false);
  return FIRST_LINE((error as Error).message);
}

/** rsn train's message for the same mistake (its first line). */
async function cliRefusal(args: (base: string) => string[]): Promise<string> {
  const base = join(temp('rsn-cli-refused-'), 'results');
  const result = await rsn(['train', ...args(base)]);
  expect(result.code, result.stderr).toBe(2);
  return FIRST_LINE(result.stderr);
}

const tiny = { trials: 1, train_iters: 20, eval_every: 10, valid_size: 200, test_size: 200 } as const;
const opts = (base: string) => ({ baseDir: base, backend: 'reference', download: false });

describe('the library validates exactly as rsn train does', () => {
  it('settings of the wrong type or range, and combinations the CLI refuses, with the CLI\'s messages', async () => {
    const cases: [string, (base: string) => Promise<unknown>, (base: string) => string[]][] = [
      ['no_pruning with prune_iters', (b) => runExperiment({ ...tiny, experiment: 'no_pruning', prune_iters: 3 }, opts(b)), (b) => ['--base_dir', b, '--experiment', 'no_pruning', '--prune_iters', '3']],
      ['trials beyond 100', (b) => runExperiment({ ...tiny, trials: 1000 }, opts(b)), (b) => ['--base_dir', b, '--trials', '1000']],
      ['a learning rate of 0', (b) => runExperiment({ ...tiny, learning_rate: 0 }, opts(b)), (b) => ['--base_dir', b, '-lr', '0']],
      ['an empty baseDir', () => runExperiment(tiny, { ...opts(''), baseDir: '' }), () => ['--base_dir', '', ...SMALL]],
      ['firstTrial 150', (b) => runExperiment(tiny, { ...opts(b), firstTrial: 150 }), (b) => ['--base_dir', b, ...SMALL, '--trial_start', '150']],
      ['batchTrials 0', (b) => runExperiment(tiny, { ...opts(b), batchTrials: 0 }), (b) => ['--base_dir', b, ...SMALL, '--batch_trials', '0']],
    ];
    for (const [name, library, cli] of cases) expect(await libraryRefusal(library), name).toBe(await cliRefusal(cli));
  }, 120_000);

  it('a baseDir that is a file, as --base_dir does', async () => {
    const file = join(temp('rsn-lib-file-'), 'results.txt');
    writeFileSync(file, '');
    await expect(runExperiment(tiny, opts(file))).rejects.toThrow(`--base_dir ${file} is a file, not a folder`);
  });

  it('unknown settings (typos), and configurations that are not objects, are refused rather than ignored', async () => {
    expect(await libraryRefusal((b) => runExperiment({ ...tiny, trails: 2 } as Partial<ExperimentConfig>, opts(b)))).toBe("unknown setting 'trails' (did you mean 'trials'?)");
    for (const bad of [null, 'abc', [], 42]) {
      expect(await libraryRefusal((b) => runExperiment(bad as unknown as Partial<ExperimentConfig>, opts(b)))).toMatch(/^the configuration must be an object of settings/);
    }
    expect(await libraryRefusal((b) => runExperiment(tiny, { ...opts(b), backnd: 'wasm' } as never))).toBe("unknown option 'backnd'");
  });

  it('trial numbers that are not whole numbers in 0..99 (they used to make trial_-1, trial_1.5, trial_150, trial_20, trial_abc0)', async () => {
    for (const first of [-1, 1.5, 150, '2']) {
      expect(await libraryRefusal((b) => runExperiment(tiny, { ...opts(b), firstTrial: first as number }))).toBe(
        `--trial_start takes a whole number >= 0 with --trial_start + --trials <= 100; got '${first}'`);
    }
    expect(await libraryRefusal((b) => runTrial(tiny, 'abc' as unknown as number, opts(b)))).toBe("--trial_start takes a whole number >= 0 with --trial_start + --trials <= 100; got 'abc'");
  });

  it('batch sizes below 1 (they used to hang forever)', async () => {
    for (const size of [0, -1, 2.5]) {
      expect(await libraryRefusal((b) => runExperiment(tiny, { ...opts(b), batchTrials: size }))).toBe(`--batch_trials takes a whole number >= 1 or 'auto'; got '${size}'`);
    }
  });
});

describe('the library and a running rsn train (a real second process) on one configuration', () => {
  it('the library neither writes into the CLI\'s trial (on its backend or another) nor deletes it with force', async () => {
    const base = temp('rsn-lib-lease-');
    const args = SMALL.map((a, i) => (SMALL[i - 1] === '--prune_iters' ? '3' : a));
    const config: ExperimentConfig = { ...DEFAULT_CONFIG, train_iters: 20, eval_every: 10, prune_iters: 3, valid_size: 200, test_size: 200, trials: 1 };
    const trial = paths.trialDir(paths.configDir(base, experimentId(config), config), 0);
    // The CLI run, in a process group of its own, is held still once it has its lease: the library meets a live lease.
    // Leases stay live for the test's length in both processes (this one reads RSN_LEASE_STALE_S too).
    const stale = process.env.RSN_LEASE_STALE_S;
    process.env.RSN_LEASE_STALE_S = '600';
    const cli = spawn('node', ['bin/rsn.js', 'train', '--base_dir', base, ...args], { env: { ...process.env, RSN_BACKEND: 'reference' }, detached: true });
    let stderr = '';
    cli.stderr.on('data', (d) => (stderr += d));
    const closed = new Promise<number>((resolve) => cli.on('close', (code) => resolve(code ?? -1)));
    const until = Date.now() + 60_000;
    while (!existsSync(join(trial, '.lease-owner.json')) && Date.now() < until) await sleep(50);
    process.kill(-cli.pid!, 'SIGSTOP');
    const settings = { train_iters: 20, eval_every: 10, prune_iters: 3, valid_size: 200, test_size: 200, trials: 1 };
    try {
      for (const backend of ['reference', 'wasm']) {
        const refused = await runExperiment(settings, { baseDir: base, backend, download: false }).then(() => undefined, (e: unknown) => e);
        expect(refused, backend).toBeInstanceOf(LeaseHeldError);
        expect((refused as Error).message).toContain(`pid ${cli.pid}`);
      }
      const forced = await runExperiment(settings, { baseDir: base, backend: 'reference', download: false, force: true }).then(() => undefined, (e: unknown) => e);
      expect(forced).toBeInstanceOf(LeaseHeldError);
      expect((forced as Error).message).toContain('--force would delete');
      expect(existsSync(join(trial, '.lease-owner.json'))).toBe(true);
    } finally {
      process.kill(-cli.pid!, 'SIGCONT');
      if (stale === undefined) delete process.env.RSN_LEASE_STALE_S;
      else process.env.RSN_LEASE_STALE_S = stale;
    }
    expect(await closed, stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(paths.trialManifest(trial), 'utf8')) as TrialManifest;
    expect(manifest.rounds.map((r) => [r.round, r.backend])).toEqual([[0, 'reference'], [1, 'reference'], [2, 'reference'], [3, 'reference']]);
    // The numbers the CLI printed are the ones on disk.
    for (const round of [0, 1, 2, 3]) {
      const summary = JSON.parse(readFileSync(paths.roundSummary(paths.roundDir(trial, round)), 'utf8')) as { final: { test: { acc: number } } };
      expect(stderr).toContain(`trial 0 round ${round}: `);
      expect(stderr).toContain(`test acc ${(100 * summary.final.test.acc).toFixed(2)}%`);
    }
    expect(readdirSync(trial).filter((n) => n.includes('lease'))).toEqual([]);
  }, 240_000);
});
