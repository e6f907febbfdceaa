/** runConfiguration: a configuration's trials, in batches, claiming (and with force, emptying) its folder once. */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runConfiguration } from '../../core/experiment/run.js';
import * as paths from '../../core/results/paths.js';
import { isRoundComplete } from '../../core/results/store.js';
import { useReferenceBackend } from '../support/backend.js';
import { snapshot } from '../support/snapshot.js';
import { syntheticSet } from '../support/synthetic.js';
import { DENSE_300_100 } from '../../core/nn/model.js';

useReferenceBackend();

const data: PreparedData = { train: syntheticSet(40, 1, 0.1), valid: syntheticSet(10, 2, 0.1), test: syntheticSet(10, 3, 0) };
const config: ExperimentConfig = {
  ...DEFAULT_CONFIG, trials: 3, train_iters: 2, eval_every: 2, prune_iters: 1, batch_size: 20, eval_batch_size: 10, attack: 'fgsm',
};

async function run(dir: string, extra: { force?: boolean; batchTrials?: number } = {}): Promise<void> {
  await runConfiguration(config, { dir, experimentId: 'test', backend: 'reference', loadData: async () => data, ...extra });
}

describe('runConfiguration', () => {
  it('with force, empties the folder once and then trains every trial (batches of one and of two)', async () => {
    for (const batchTrials of [1, 2]) {
      const dir = join(mkdtempSync(join(tmpdir(), 'rsn-runconf-')), 'c');
      await run(dir, { batchTrials });
      await run(dir, { force: true, batchTrials });
      for (const trial of [0, 1, 2]) expect(isRoundComplete(paths.trialDir(dir, trial), 1, DENSE_300_100), `trial ${trial}, batches of ${batchTrials}`).toBe(true);
    }
  });

  it('gives the same files trained one at a time and two at a time', async () => {
    const [alone, together] = [1, 2].map(() => join(mkdtempSync(join(tmpdir(), 'rsn-runconf-')), 'c'));
    await run(alone!, { batchTrials: 1 });
    await run(together!, { batchTrials: 2 });
    expect(existsSync(paths.trialDir(together!, 2))).toBe(true);
    expect(snapshot(together!)).toEqual(snapshot(alone!));
  });
});
