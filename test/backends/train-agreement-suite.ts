import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { backendEntries } from '../../backends/registry.js';
import { useBackend } from '../support/backend.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import * as paths from '../../core/results/paths.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial } from '../../core/experiment/runner.js';
import { claimConfigDir, loadKernels } from '../../core/results/store.js';
import { readCsv } from '../../core/results/csv.js';
import { DENSE_300_100 } from '../../core/nn/model.js';
import { closeness } from '../support/allclose.js';
import { syntheticSet } from '../support/synthetic.js';


const data: PreparedData = { train: syntheticSet(200, 1, 0.1, 0.4), valid: syntheticSet(100, 2, 0.1, 0.4), test: syntheticSet(100, 3, 0, 0.4) };
const config: ExperimentConfig = {
  ...DEFAULT_CONFIG, trials: 1, train_iters: 12, eval_every: 6, prune_iters: 1, batch_size: 20, eval_batch_size: 50,
  attack: 'fgsm', adv_train: true,
};

async function trainOn(backend: string): Promise<string> {
  await useBackend(backend);
  const dir = mkdtempSync(join(tmpdir(), `rsn-agree-${backend}-`));
  claimConfigDir(dir, 'test', config, false);
  await runTrial(config, data, 0, { configDir: dir, backend });
  return paths.trialDir(dir, 0);
}

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
 * A short adversarially trained run (two rounds, pruning between them) gives the same metrics on every
 * backend that loads as on the reference. Tolerances: losses and weights to 1e-3 relative (twelve Adam steps of
 * float32 rounding differences), accuracies within 2 of 100 examples (an example whose logits nearly tie, or
 * a pixel whose attack gradient is within rounding of 0, may flip).
 */
export async function trainAgreement(names: readonly string[]): Promise<void> {
  const others = await loadable(names);
  describe.each(others)('rsn train on $name agrees with the reference backend', ({ name, unavailable }) => {
  it.skipIf(unavailable !== undefined)(`gives the same metrics and weights within tolerance${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
    const other = await trainOn(name);
    const reference = await trainOn('reference');
    for (const round of [0, 1]) {
      for (const split of ['valid', 'test'] as const) {
        const a = readCsv(paths.metricsFile(paths.roundDir(other, round), split));
        const b = readCsv(paths.metricsFile(paths.roundDir(reference, round), split));
        expect(a.map((r) => r.batch)).toEqual(b.map((r) => r.batch));
        a.forEach((row, i) => {
          expect(closeness([row.loss as number, row.adv_loss as number], [b[i]!.loss as number, b[i]!.adv_loss as number], 1e-3, 1e-4)).toBeLessThanOrEqual(1);
          expect(Math.abs((row.acc as number) - (b[i]!.acc as number))).toBeLessThanOrEqual(0.02);
          expect(Math.abs((row.adv_acc as number) - (b[i]!.adv_acc as number))).toBeLessThanOrEqual(0.02);
        });
      }
      const [wa, wb] = [loadKernels(other, round, 'post_kernels', DENSE_300_100), loadKernels(reference, round, 'post_kernels', DENSE_300_100)];
      wa.forEach((w, l) => expect(closeness(w, wb[l]!, 1e-3, 1e-4)).toBeLessThanOrEqual(1));
      expect(loadKernels(other, round, 'masks', DENSE_300_100)).toEqual(loadKernels(reference, round, 'masks', DENSE_300_100));
    }
  });
});
}
