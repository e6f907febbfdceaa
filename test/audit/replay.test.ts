/**
 * The audit attacks the network a run evaluated, with the run's own random starts: its FGSM and PGD-10 rungs
 * reproduce the last row of every round's test.csv (loss, accuracy, adversarial accuracy and loss), bit for bit,
 * under the default and the original evaluation schedules, with and without adversarial training.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditResults } from '../../core/audit/run.js';
import { batchSizeAt } from '../../core/audit/replay.js';
import { DEFAULT_AUDIT } from '../../core/audit/settings.js';
import { BatchSampler } from '../../core/data/index.js';
import { Rng } from '../../core/nn/rng.js';
import { useReferenceBackend } from '../support/backend.js';
import { rsn } from '../support/rsn-cli.js';

useReferenceBackend();

describe('the training batch of a step', () => {
  it('is what the batch sampler hands out, partial batches closing each epoch included', () => {
    for (const [count, batch] of [[50, 7], [60, 6], [9, 4], [5, 5], [5, 8]] as const) {
      const sampler = new BatchSampler(count, batch, new Rng(1));
      for (let step = 1; step <= 3 * Math.ceil(count / batch) + 2; step++) expect(batchSizeAt(step, count, batch), `${count}/${batch} step ${step}`).toBe(sampler.next().length);
    }
  });
});

describe('the run\'s own attack, replayed', () => {
  const cases: [string, string[]][] = [
    ['PGD evaluation of natural training, every 2 steps', ['--attack', 'pgd', '--train_iters', '6', '--eval_every', '2']],
    ['PGD adversarial training (the training batch\'s accuracy draws too), every 2 steps', ['--attack', 'pgd', '--adv_train', '--train_iters', '6', '--eval_every', '2']],
    ['PGD adversarial training, the original schedule', ['--attack', 'pgd', '--adv_train', '--train_iters', '5', '--eval_every', '2', '--eval_schedule', 'original']],
    ['FGSM adversarial training (no draws)', ['--attack', 'fgsm', '--adv_train', '--train_iters', '6', '--eval_every', '3']],
  ];
  for (const [name, flags] of cases) {
    it(`reproduces test.csv's last row of every round: ${name}`, async () => {
      const base = mkdtempSync(join(tmpdir(), 'rsn-audit-replay-'));
      const trained = await rsn(['train', '--base_dir', base, '--trials', '1', '--prune_iters', '1', '--valid_size', '60', '--test_size', '50',
        '--batch_size', '20', '--eval_batch_size', '16', '--pgd_iters', '3', '--loss', 'clipped_probabilities', ...flags]);
      expect(trained.code, trained.stderr).toBe(0);
      const audits = await auditResults(base, { ...DEFAULT_AUDIT, rungs: ['fgsm', 'pgd-10'], sweep: [] });
      expect(audits).toHaveLength(2);
      for (const audit of audits) {
        const own = audit.rungs.find((r) => r.rung === (flags.includes('pgd') ? 'pgd-10' : 'fgsm'))!;
        expect(own.reproduces, `round ${audit.round}`).toBeDefined();
        expect(own.reproduces!.equal, JSON.stringify(own.reproduces)).toBe(true);
      }
    }, 120_000);
  }
});
