/**
 * Trials trained together as one computation (runTrials, rsn train --batch_trials): the oracle is the
 * batched-vs-sequential identity on the reference backend. Every results file of every trial, bit for bit, as
 * when the trials run one at a time.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial, runTrials, type BatchTrial } from '../../core/experiment/runner.js';
import { ConfigError } from '../../core/errors.js';
import { gitState } from '../../core/experiment/provenance.js';
import { RSN_VERSION } from '../../core/experiment/version.js';
import * as paths from '../../core/results/paths.js';
import { claimConfigDir } from '../../core/results/store.js';
import { useReferenceBackend } from '../support/backend.js';
import { snapshot } from '../support/snapshot.js';
import { syntheticSet } from '../support/synthetic.js';

useReferenceBackend();

/** Two data sets of one shape but different content, standing for digits and Fashion-MNIST. */
const DATA: Record<'digits' | 'fashion', PreparedData> = {
  digits: { train: syntheticSet(50, 1, 0.1), valid: syntheticSet(12, 2, 0.1), test: syntheticSet(12, 3, 0) },
  fashion: { train: syntheticSet(50, 4, 0.1, 0.5), valid: syntheticSet(12, 5, 0.1, 0.5), test: syntheticSet(12, 6, 0, 0.5) },
};

const tiny = (overrides: Partial<ExperimentConfig> = {}): ExperimentConfig => ({
  ...DEFAULT_CONFIG, trials: 1, train_iters: 3, eval_every: 2, prune_iters: 1, batch_size: 20, eval_batch_size: 8,
  attack: 'pgd', pgd_iters: 2, ...overrides,
});

/** A fresh results folder holding one configuration directory per member config. */
function folder(): string {
  return mkdtempSync(join(tmpdir(), 'rsn-batch-'));
}

function member(root: string, config: ExperimentConfig, trial: number, name: string): BatchTrial {
  const configDir = join(root, name);
  claimConfigDir(configDir, name, config, false);
  return { config, data: DATA[config.dataset], trial, configDir };
}

/** The same trials run one at a time, and all together, each in its own folder. */
async function bothWays(trials: { config: ExperimentConfig; trial: number; name: string }[]): Promise<[string, string]> {
  const alone = folder();
  for (const t of trials) {
    const m = member(alone, t.config, t.trial, t.name);
    await runTrial(m.config, m.data, m.trial, { configDir: m.configDir, backend: 'reference' });
  }
  const together = folder();
  await runTrials(trials.map((t) => member(together, t.config, t.trial, t.name)), { backend: 'reference' });
  return [alone, together];
}

describe('trials trained together equal trials trained one at a time (reference, bit for bit)', () => {
  const cases: [string, Partial<ExperimentConfig>][] = [
    ['reinit_orig, natural training, FGSM evaluation', { experiment: 'reinit_orig', attack: 'fgsm' }],
    ['reinit_orig reset to round 0 trained, adversarial training with FGSM', { experiment: 'reinit_orig', reset_to: 'round0_trained', attack: 'fgsm', adv_train: true }],
    ['reinit_rand, adversarial training with PGD', { experiment: 'reinit_rand', adv_train: true }],
    ['reinit_none, natural training, PGD evaluation, L1 penalty', { experiment: 'reinit_none', l1_reg: 0.001 }],
    ['no_pruning, adversarial training with PGD, the original evaluation schedule', { experiment: 'no_pruning', adv_train: true, eval_schedule: 'original', train_iters: 5 }],
  ];
  for (const [name, overrides] of cases) {
    it(name, async () => {
      const config = tiny(overrides);
      const [alone, together] = await bothWays([0, 1, 2].map((trial) => ({ config, trial, name: 'c' })));
      const expected = snapshot(alone);
      expect(Object.keys(expected).length).toBeGreaterThan(10);
      expect(snapshot(together)).toEqual(expected);
    });
  }

  it('configurations that differ in data set, strategy, reset, seed and pruning rounds, trained together', async () => {
    const base = tiny({ adv_train: true });
    const [alone, together] = await bothWays([
      { config: base, trial: 0, name: 'a' },
      { config: { ...base, dataset: 'fashion', experiment: 'reinit_rand', seed: 7 }, trial: 3, name: 'b' },
      { config: { ...base, experiment: 'no_pruning' }, trial: 1, name: 'c' },
      { config: { ...base, dataset: 'fashion', reset_to: 'round0_trained', prune_iters: 2 }, trial: 2, name: 'd' },
    ]);
    expect(snapshot(together)).toEqual(snapshot(alone));
  });

  it('records in each manifest how many networks each round trained together', async () => {
    const config = tiny({ attack: 'fgsm' });
    const [, together] = await bothWays([0, 1].map((trial) => ({ config, trial, name: 'c' })));
    const manifest = JSON.parse(readFileSync(paths.trialManifest(paths.trialDir(join(together, 'c'), 1)), 'utf8'));
    expect(manifest.rounds.map((r: { networks?: number }) => r.networks)).toEqual([2, 2]);
    // Each round names the code that trained it (this checkout's commit when tests run from git).
    const commit = gitState()?.commit;
    for (const r of manifest.rounds as { rsn?: string; commit?: string }[]) {
      expect(r.rsn).toBe(RSN_VERSION);
      expect(r.commit).toBe(commit);
    }
  });
});

describe('resuming a batch', () => {
  it('trains only the rounds missing on disk, leaving completed rounds untouched, with the same results', async () => {
    const config = tiny({ attack: 'fgsm', adv_train: true });
    const [alone, together] = await bothWays([0, 1].map((trial) => ({ config, trial, name: 'c' })));
    const dir = join(together, 'c');
    const kept = paths.roundSummary(paths.roundDir(paths.trialDir(dir, 0), 1));
    const keptTime = statSync(kept).mtimeMs;
    // Trial 1 lost its last round (killed mid-round); trial 0 has all of them.
    rmSync(paths.roundDir(paths.trialDir(dir, 1), 1), { recursive: true });
    const trained: { round: number; members: readonly number[] }[] = [];
    const members = [0, 1].map((trial) => ({ config, data: DATA.digits, trial, configDir: dir }));
    await runTrials(members, {
      backend: 'reference',
      onProgress: (p) => p.phase === 'train' && p.iteration === 1 && trained.push({ round: p.round, members: p.members }),
    });
    expect(trained).toEqual([{ round: 1, members: [1] }]);
    expect(statSync(kept).mtimeMs).toBe(keptTime);
    expect(snapshot(together)).toEqual(snapshot(alone));
  });
});

describe('what cannot be trained together', () => {
  it('refuses configurations whose step programs differ, naming the setting', async () => {
    const root = folder();
    const batch = [member(root, tiny(), 0, 'a'), member(root, tiny({ adv_train: true }), 1, 'b')];
    await expect(runTrials(batch, { backend: 'reference' })).rejects.toThrow(ConfigError);
    await expect(runTrials(batch, { backend: 'reference' })).rejects.toThrow(/adv_train/);
  });
});
