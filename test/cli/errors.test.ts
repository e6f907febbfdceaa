/**
 * What a user can get wrong on the command line: each case is an rsn error (exit 2) that names the flag or
 * file and the fix, raised before the data loads, never a stack trace.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DEFAULT_CONFIG } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import { describe, expect, it } from 'vitest';
import { hasStackTrace, rsn, SMALL } from '../support/rsn-cli.js';

const temp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
/** A --data_dir that does not exist: a run that got as far as loading data would fail on it instead. */
const NO_DATA = ['--data_dir', '/nonexistent/rsn-data'];

async function refused(args: string[], expected: RegExp | string) {
  const result = await rsn(args);
  expect(result.code, result.stderr).toBe(2);
  if (typeof expected === 'string') expect(result.stderr).toContain(expected);
  else expect(result.stderr).toMatch(expected);
  expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
  expect(result.stderr).not.toContain('does not hold the');
  return result;
}

describe('impossible values are refused with the flag named', () => {
  const base = temp('rsn-values-');
  const train = (...args: string[]) => ['train', '--base_dir', base, ...NO_DATA, ...args];

  it('seeds beyond the 32-bit generator (no silent aliasing of seed 2^32 to seed 0)', async () => {
    await refused(train('--seed', '4294967296'), /--seed must be at most 4294967295 \(the generator takes 32-bit seeds/);
    await refused(train('--seed', '99999999999999999999'), '--seed must be at most 4294967295');
  });

  it('learning rates that are not positive or absurdly large', async () => {
    await refused(train('-lr', '0'), '--learning_rate must be > 0');
    await refused(train('-lr', '1e6'), '--learning_rate must be at most 1');
  });

  it('an attack budget outside (0, 1]', async () => {
    await refused(train('--eps', '1.5'), '--eps must be at most 1');
    await refused(train('--eps', '0'), '--eps must be > 0');
  });

  it('trial counts and batch sizes beyond what can run', async () => {
    await refused(train('--trials', '1e23'), '--trials takes a whole number');
    await refused(train('--trials', '100000000000000000000000'), '--trials must be at most 100');
    await refused(train('--batch_size', '1000000'), '--batch_size must be at most 60000');
    await refused(train('--batch_size', '55000'), '--batch_size 55000 is larger than the 50000 training images');
  });

  it('flags the chosen strategy ignores are refused and create no experiment folder', async () => {
    await refused(train('--experiment', 'no_pruning', '--prune_iters', '3'), '--prune_iters has no effect with --experiment no_pruning');
    await refused(train('--experiment', 'reinit_rand', '--reset_to', 'round0_trained'), '--reset_to has no effect with --experiment reinit_rand');
    await refused(train('--experiment', 'no_pruning', '--reset_to', 'init'), '--reset_to has no effect');
    expect(readdirSync(base)).toEqual([]);
  });
});

describe('names from the command line never leave --base_dir', () => {
  for (const id of ['..', '../x', '../../../x', '/tmp/abs', 'a/b', '.hidden', '']) {
    it(`--experiment_id '${id}' in rsn train and rsn bench`, async () => {
      const parent = temp('rsn-escape-');
      const base = join(parent, 'base');
      await refused(['train', '--base_dir', base, '--experiment_id', id, ...NO_DATA, ...SMALL], `--experiment_id '${id}' is not a plain folder name`);
      await refused(['bench', '--preset', 'smoke', '--base_dir', base, '--experiment_id', id], `--experiment_id '${id}' is not a plain folder name`);
      expect(readdirSync(parent).filter((n) => n !== 'base')).toEqual([]);
    });
  }
});

describe('a wrong --base_dir is found before the data loads', () => {
  it('a file, a path under a file, or an empty name', async () => {
    const dir = temp('rsn-base-');
    const file = join(dir, 'results.txt');
    writeFileSync(file, 'not a folder');
    await refused(['train', '--base_dir', file, ...NO_DATA, ...SMALL], `--base_dir ${file} is a file, not a folder`);
    await refused(['train', '--base_dir', join(file, 'sub'), ...NO_DATA, ...SMALL], `lies under ${file}, which is a file`);
    await refused(['train', '--base_dir', '', ...NO_DATA, ...SMALL], '--base_dir is empty');
    await refused(['bench', '--preset', 'smoke', '--base_dir', file], `--base_dir ${file} is a file, not a folder`);
    await refused(['bench', '--preset', 'smoke', '--base_dir', ''], '--base_dir is empty');
  });

  it('a folder that is not writable (as root: run as the user nobody)', async () => {
    const dir = temp('rsn-readonly-');
    chmodSync(dir, 0o555);
    const args = ['train', '--base_dir', join(dir, 'results'), ...NO_DATA, ...SMALL];
    if (process.getuid?.() !== 0) {
      await refused(args, 'is not writable');
      return;
    }
    const result = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile('runuser', ['-u', 'nobody', '--', 'env', 'HOME=/tmp', 'RSN_BACKEND=reference', 'node', 'bin/rsn.js', ...args], (error, _stdout, stderr) => {
        resolve({ code: (error as { code?: number } | null)?.code ?? 0, stderr });
      });
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`--base_dir ${join(dir, 'results')} is not writable (EACCES)`);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });
});

describe('data and damaged results', () => {
  it('an explicit --data_dir without the files is an error naming it, not a fallback', async () => {
    const empty = temp('rsn-nodata-');
    const result = await rsn(['train', '--base_dir', temp('rsn-base-'), '--data_dir', empty, ...SMALL]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--data_dir ${empty} does not hold the digits dataset`);
    expect(hasStackTrace(result.stderr)).toBe(false);
  });

  it('a corrupt config.json is named with the fix, before any data loads', async () => {
    const base = temp('rsn-corrupt-');
    const config = { ...DEFAULT_CONFIG, train_iters: 20, eval_every: 10, prune_iters: 1, valid_size: 200, test_size: 200, trials: 1 };
    const file = paths.configFile(paths.configDir(base, 'x', config));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '{"experiment_id": "x", "conf');
    const result = await refused(['train', '--base_dir', base, '--experiment_id', 'x', ...NO_DATA, ...SMALL], `${file} is damaged`);
    expect(result.stderr).toContain(`rm '${file}'`);
  });
});

describe('rsn bench shards', () => {
  it('a shard with no jobs succeeds with a message (a restarting pod stops restarting)', async () => {
    const base = temp('rsn-shard-');
    const result = await rsn(['bench', '--preset', 'smoke', '--base_dir', base, '--shard', '7/8']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('shard 7/8 has no jobs (the suite has 6); nothing to do');
  });
});

describe('no raw stack trace reaches a user', () => {
  it('an unexpected file-system error names the path', async () => {
    const base = temp('rsn-fs-');
    mkdirSync(join(base, 'x'));
    // The experiment folder is a file: creating the configuration folder below it fails with ENOTDIR.
    writeFileSync(join(base, 'x', 'digits'), '');
    const result = await rsn(['train', '--base_dir', base, '--experiment_id', 'x', ...NO_DATA, ...SMALL]);
    expect(result.code).not.toBe(0);
    expect(hasStackTrace(result.stderr), result.stderr).toBe(false);
    expect(result.stderr).toContain(join(base, 'x', 'digits'));
    expect(existsSync(join(base, 'x', 'digits'))).toBe(true);
  });
});
