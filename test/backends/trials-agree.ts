import { expect } from 'vitest';
import { readCsv } from '../../core/results/csv.js';
import * as paths from '../../core/results/paths.js';
import { loadKernels } from '../../core/results/store.js';
import { DENSE_300_100 } from '../../core/nn/model.js';
import { closeness } from '../support/allclose.js';

/**
 * Two trials on disk (trial folders) agree round by round: the same evaluations; losses and weights to 1e-3
 * relative (Adam steps of float32 rounding differences); accuracies within 2 of 100 examples (an example whose
 * logits nearly tie, or a pixel whose attack gradient is within rounding of 0, may flip); identical masks.
 */
export function expectTrialsAgree(other: string, reference: string, rounds: number): void {
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
    const [wa, wb] = [loadKernels(other, round, 'post_kernels', DENSE_300_100), loadKernels(reference, round, 'post_kernels', DENSE_300_100)];
    wa.forEach((w, l) => expect(closeness(w, wb[l]!, 1e-3, 1e-4)).toBeLessThanOrEqual(1));
    expect(loadKernels(other, round, 'masks', DENSE_300_100)).toEqual(loadKernels(reference, round, 'masks', DENSE_300_100));
  }
}
