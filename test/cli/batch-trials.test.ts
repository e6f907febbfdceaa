/**
 * --batch_trials on the command line: rsn train trains N trials of a configuration as one computation, rsn bench
 * groups jobs that share a step program; either way every results file equals, bit for bit on the reference
 * backend, what the same trials give one at a time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rsn } from '../support/rsn-cli.js';
import { snapshot } from '../support/snapshot.js';

const temp = mkdtempSync(join(tmpdir(), 'rsn-batch-cli-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const TINY = ['--backend', 'reference', '--no_download', '--train_iters', '3', '--eval_every', '2', '--prune_iters', '1', '--batch_size', '10', '--valid_size', '40', '--test_size', '40'];

describe('rsn train --batch_trials', () => {
  it('trains the trials together, with the results of training them one at a time', async () => {
    const args = ['train', ...TINY, '--trials', '3', '--attack', 'pgd', '--pgd_iters', '2', '--adv_train'];
    const alone = await rsn([...args, '--base_dir', join(temp, 'alone'), '--batch_trials', '1']);
    expect(alone.code, alone.stderr).toBe(0);
    const together = await rsn([...args, '--base_dir', join(temp, 'together'), '--batch_trials', '3']);
    expect(together.code, together.stderr).toBe(0);
    expect(together.stderr).toContain('training 3 trials at a time as one computation');
    expect(together.stderr).toMatch(/trial 2 round 1: /);
    expect(snapshot(join(temp, 'together'))).toEqual(snapshot(join(temp, 'alone')));
    const again = await rsn([...args, '--base_dir', join(temp, 'together'), '--batch_trials', '3']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('trial 2: complete on disk (rounds 0-1), kept');
    expect(again.stderr).not.toMatch(/another process|at a time/);
    expect(snapshot(join(temp, 'together'))).toEqual(snapshot(join(temp, 'alone')));
  }, 300_000);

  it('refuses a batch size that is not a whole number >= 1, before any work', async () => {
    const bad = await rsn(['train', ...TINY, '--base_dir', join(temp, 'bad'), '--batch_trials', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--batch_trials takes a whole number >= 1 or 'auto'; got '0'");
  });
});

describe('rsn bench --batch_trials', () => {
  const args = ['bench', '--preset', 'smoke', ...TINY, '--jobs', '1'];

  it('lists which jobs train together: those sharing a step program, across strategies', async () => {
    const listed = await rsn([...args, '--base_dir', join(temp, 'list'), '--batch_trials', '3', '--list']);
    expect(listed.code, listed.stderr).toBe(0);
    const rows = listed.stdout.trim().split('\n').map((l) => l.split('\t'));
    // smoke: digits, FGSM, natural and adversarial training, three strategies: one batch per training mode.
    expect(rows.map((r) => [r[1]!.split('/')[2], r[4]])).toEqual([
      ['normal', 'batch 1'], ['normal', 'batch 1'], ['normal', 'batch 1'],
      ['adversarial', 'batch 2'], ['adversarial', 'batch 2'], ['adversarial', 'batch 2'],
    ]);
    const shard = await rsn([...args, '--base_dir', join(temp, 'list'), '--batch_trials', '3', '--list', '--shard', '0/2']);
    expect(shard.stdout.trim().split('\n').map((l) => l.split('\t').at(-1))).toEqual(['batch 1', 'batch 1', 'batch 2']);
  });

  it('runs the batches, with the results of running each job alone', async () => {
    const alone = await rsn([...args, '--base_dir', join(temp, 'bench-alone'), '--batch_trials', '1']);
    expect(alone.code, alone.stderr).toBe(0);
    const together = await rsn([...args, '--base_dir', join(temp, 'bench-together'), '--batch_trials', '3']);
    expect(together.code, together.stderr).toBe(0);
    expect(together.stderr).toContain('6 jobs (0 already done), in 2 batches trained as one computation each');
    expect(snapshot(join(temp, 'bench-together'))).toEqual(snapshot(join(temp, 'bench-alone')));
    const again = await rsn([...args, '--base_dir', join(temp, 'bench-together'), '--batch_trials', '3', '--list']);
    expect(again.stdout.trim().split('\n').every((l) => l.split('\t')[2] === 'done' && l.endsWith('\t-'))).toBe(true);
  }, 300_000);
});
