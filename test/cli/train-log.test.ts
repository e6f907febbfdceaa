/** `rsn train --log_jsonl FILE`: one JSON record per evaluation, appended as the run goes. */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { tempRoot } from '../report/synthetic.js';

const temp = tempRoot('rsn-train-log-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe('rsn train --log_jsonl', () => {
  it('writes one JSON line per evaluation, with the metrics of valid.csv and test.csv', async () => {
    const log = join(temp, 'run.jsonl');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((() => true) as typeof process.stderr.write);
    let code: number;
    try {
      code = await main(['node', 'rsn', 'train', '--backend', 'reference', '--no_download', '--base_dir', join(temp, 'results'),
        '--trials', '1', '--train_iters', '3', '--eval_every', '2', '--prune_iters', '1', '--batch_size', '10',
        '--valid_size', '50', '--test_size', '50', '--log_jsonl', log]);
    } finally {
      err.mockRestore();
    }
    expect(code).toBe(0);
    const records = readFileSync(log, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    // evaluations at 0, 2 and 3 (the end) in rounds 0 and 1
    expect(records.map((r) => [r.round, r.iteration])).toEqual([[0, 0], [0, 2], [0, 3], [1, 0], [1, 2], [1, 3]]);
    for (const r of records) {
      for (const key of ['time', 'trial', 'percent_remaining', 'train_loss', 'valid_loss', 'valid_acc', 'test_acc', 'test_adv_acc', 'test_adv_loss']) expect(r, key).toHaveProperty(key);
      expect(Date.parse(r.time as string)).not.toBeNaN();
    }
  });

  it('says which file it cannot open', async () => {
    const blocked = join(temp, 'a-file');
    writeFileSync(blocked, '');
    const target = join(blocked, 'cannot.jsonl'); // below a file: the folder cannot be made
    let stderr = '';
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string) => { stderr += chunk; return true; }) as typeof process.stderr.write);
    try {
      const code = await main(['node', 'rsn', 'train', '--backend', 'reference', '--no_download', '--base_dir', join(temp, 'results2'),
        '--trials', '1', '--train_iters', '1', '--prune_iters', '0', '--valid_size', '50', '--test_size', '50', '--log_jsonl', target]);
      expect(code).not.toBe(0);
    } finally {
      err.mockRestore();
    }
    expect(stderr).toContain(`cannot open the log ${target}`);
    expect(stderr).toContain('--log_jsonl');
  });
});
