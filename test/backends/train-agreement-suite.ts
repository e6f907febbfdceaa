import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectTrialsAgree } from './trials-agree.js';
import { backendEntries, loadBackend } from '../../backends/registry.js';
import { useBackend } from '../support/backend.js';
import { snapshot } from '../support/snapshot.js';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
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

/**
 * The given trials of the agreement configuration on `backend` (made active here): one at a time, or together
 * as one computation (stacked networks); with `customKernels` false the backend runs the compositions. Returns
 * the configuration folder.
 */
export async function trainTrials(backend: Backend, trials: readonly number[], { together = false, customKernels = true } = {}): Promise<string> {
  setActiveBackend(customKernels ? backend : withoutCustomKernels(backend));
  const dir = mkdtempSync(join(tmpdir(), `rsn-agree-${backend.name}-`));
  claimConfigDir(dir, 'test', config, false);
  if (together) await runTrials(trials.map((trial) => ({ config, data, trial, configDir: dir })), { backend: backend.name });
  else for (const trial of trials) await runTrial(config, data, trial, { configDir: dir, backend: backend.name });
  return dir;
}

async function trainOn(backend: string, trial = 0, customKernels = true): Promise<string> {
  return paths.trialDir(await trainTrials(await useBackend(backend), [trial], { customKernels }), trial);
}

/** Trials 0 and 1 trained together as one computation (stacked networks): the configuration folder. */
const trainTogetherOn = async (backend: string): Promise<string> => trainTrials(await useBackend(backend), [0, 1], { together: true });

/** The reference's trial 0, trained once for all the backends compared with it. */
let referenceTrial: Promise<string> | undefined;
const onReference = (): Promise<string> => (referenceTrial ??= trainOn('reference'));

/** The named backends, each with the reason it cannot load here (undefined when it loads). */
const loadable = (names: readonly string[]) => Promise.all(
  backendEntries().filter((e) => names.includes(e.name)).map(async (e) => {
    try {
      // Loaded once for the file (the registry keeps it): a backend opened, closed and opened again costs a second
      // device, and on webgpu a Dawn instance torn down beside a live one.
      await loadBackend(e.name);
      return { name: e.name, unavailable: undefined };
    } catch (error) {
      return { name: e.name, unavailable: (error as Error).message.split('\n')[0] };
    }
  }),
);

/**
 * A short adversarially trained run (two rounds, pruning between them) on each named backend that loads here
 * agrees with the reference's (trials-agree.ts); two trials stacked as one computation give what the backend's
 * compositions give one trial at a time.
 */
export async function trainAgreement(names: readonly string[]): Promise<void> {
  const others = await loadable(names);
  describe.each(others)('rsn train on $name agrees with the reference backend', ({ name, unavailable }) => {
    it.skipIf(unavailable !== undefined)(`gives the same metrics and weights within tolerance${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
      expectTrialsAgree(await trainOn(name), await onReference(), 2);
    });
    // Stacked networks run the compositions (model-level custom kernels decline a trial axis), so the oracle is
    // the same backend running the compositions one trial at a time. Against the reference, both differ by the
    // rounding of these kernels, which a few FGSM steps amplify (a near-zero pixel gradient flips its sign).
    it.skipIf(unavailable !== undefined)(`trains two trials as one computation with the results of its compositions one trial at a time${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
      const together = await trainTogetherOn(name);
      for (const trial of [0, 1]) {
        const alone = await trainOn(name, trial, false);
        expect(snapshot(paths.trialDir(together, trial))).toEqual(snapshot(alone));
      }
    }, 360_000); // three short trainings: about 140 s on llvmpipe on two busy cores, past vitest's default
  });
}
