import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { DEFAULT_CONFIG, type ExperimentConfig } from '../../core/experiment/config.js';
import type { PreparedData } from '../../core/experiment/round.js';
import { runTrial } from '../../core/experiment/runner.js';
import { readCsv } from '../../core/results/csv.js';
import * as paths from '../../core/results/paths.js';
import { claimConfigDir, loadKernels } from '../../core/results/store.js';
import { DENSE_300_100, type ModelSpec } from '../../core/nn/model.js';
import { closeness } from '../support/allclose.js';
import { syntheticSet } from '../support/synthetic.js';

/**
 * Two trials of `spec` on disk (trial folders) agree round by round: the same evaluations; losses and weights to
 * 1e-3 relative (Adam steps of float32 rounding differences); accuracies within 2 of 100 examples (an example whose
 * logits nearly tie, or a pixel whose attack gradient is within rounding of 0, may flip); identical masks.
 */
export function expectTrialsAgree(other: string, reference: string, rounds: number, spec: ModelSpec = DENSE_300_100): void {
  for (let round = 0; round < rounds; round++) {
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
    const [wa, wb] = [loadKernels(other, round, 'post_kernels', spec), loadKernels(reference, round, 'post_kernels', spec)];
    wa.forEach((w, l) => expect(closeness(w, wb[l]!, 1e-3, 1e-4), spec.parameters[l]!.name).toBeLessThanOrEqual(1));
    expect(loadKernels(other, round, 'masks', spec)).toEqual(loadKernels(reference, round, 'masks', spec));
  }
}

const PRUNED_DATA: PreparedData = { train: syntheticSet(200, 1, 0.1, 0.4), valid: syntheticSet(100, 2, 0.1, 0.4), test: syntheticSet(100, 3, 0, 0.4) };
const PRUNED_CONFIG: ExperimentConfig = {
  ...DEFAULT_CONFIG, trials: 1, train_iters: 12, eval_every: 6, prune_iters: 2, batch_size: 20, eval_batch_size: 50,
  attack: 'fgsm', adv_train: true,
};

/**
 * A short pruned trial (three rounds of FGSM-adversarial training on synthetic data, or as `overrides` change it:
 * another model, attack, ...) on `backend`, into a new temporary folder; returns its trial folder, for
 * expectTrialsAgree(.., 3).
 */
export async function trainPrunedTrial(backend: Backend, name: string, overrides: Partial<ExperimentConfig> = {}): Promise<string> {
  setActiveBackend(backend);
  const config = { ...PRUNED_CONFIG, ...overrides };
  const dir = mkdtempSync(join(tmpdir(), `rsn-pruned-${name}-`));
  claimConfigDir(dir, 'test', config, false);
  await runTrial(config, PRUNED_DATA, 0, { configDir: dir, backend: name });
  return paths.trialDir(dir, 0);
}
