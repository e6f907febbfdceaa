import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectTrialsAgree } from './trials-agree.js';
import { backendEntries } from '../../backends/registry.js';
import { useBackend } from '../support/backend.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial, runTrials } from '../../core/experiment/runner.js';
import { claimConfigDir } from '../../core/results/store.js';
import { syntheticSet } from '../support/synthetic.js';


const data: PreparedData = { train: syntheticSet(200, 1, 0.1, 0.4), valid: syntheticSet(100, 2, 0.1, 0.4), test: syntheticSet(100, 3, 0, 0.4) };
const config: ExperimentConfig = {
  ...DEFAULT_CONFIG, trials: 1, train_iters: 12, eval_every: 6, prune_iters: 1, batch_size: 20, eval_batch_size: 50,
  attack: 'fgsm', adv_train: true,
};

async function trainOn(backend: string, trial = 0): Promise<string> {
  await useBackend(backend);
  const dir = mkdtempSync(join(tmpdir(), `rsn-agree-${backend}-`));
  claimConfigDir(dir, 'test', config, false);
  await runTrial(config, data, trial, { configDir: dir, backend });
  return paths.trialDir(dir, trial);
}

/** Trials 0 and 1 trained together as one computation (stacked networks): their trial folders. */
async function trainTogetherOn(backend: string): Promise<string[]> {
  await useBackend(backend);
  const dir = mkdtempSync(join(tmpdir(), `rsn-agree-batch-${backend}-`));
  claimConfigDir(dir, 'test', config, false);
  await runTrials([0, 1].map((trial) => ({ config, data, trial, configDir: dir })), { backend });
  return [0, 1].map((trial) => paths.trialDir(dir, trial));
}

/** The reference's trials, trained once for all the backends compared with them. */
const referenceTrials = new Map<number, Promise<string>>();
const onReference = (trial: number): Promise<string> => {
  if (!referenceTrials.has(trial)) referenceTrials.set(trial, trainOn('reference', trial));
  return referenceTrials.get(trial)!;
};

/** The named backends, each with the reason it cannot load here (undefined when it loads). */
const loadable = (names: readonly string[]) => Promise.all(
  backendEntries().filter((e) => names.includes(e.name)).map(async (e) => {
    try {
      (await e.load()).close?.();
      return { name: e.name, unavailable: undefined };
    } catch (error) {
      return { name: e.name, unavailable: (error as Error).message.split('\n')[0] };
    }
  }),
);

/**
 * A short adversarially trained run (two rounds, pruning between them) on each named backend that loads here
 * agrees with the reference's (trials-agree.ts), alone and with two trials stacked as one computation.
 */
export async function trainAgreement(names: readonly string[]): Promise<void> {
  const others = await loadable(names);
  describe.each(others)('rsn train on $name agrees with the reference backend', ({ name, unavailable }) => {
    it.skipIf(unavailable !== undefined)(`gives the same metrics and weights within tolerance${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
      const trained = await trainOn(name);
      expectTrialsAgree(trained, await onReference(0), 2);
    });
    it.skipIf(unavailable !== undefined)(`trains two trials as one computation, each agreeing with the reference's${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
      const [first, second] = await trainTogetherOn(name);
      expectTrialsAgree(first!, await onReference(0), 2);
      expectTrialsAgree(second!, await onReference(1), 2);
    });
  });
}
