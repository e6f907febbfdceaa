/**
 * The paper's Tables 1 and 2 (Cosentino et al. 2019, arXiv 1912.02386) as data, transcribed from
 * docs/paper-results.md (test/benchmarks/paper/paper-fixture.test.ts checks every cell against that file), and the
 * settings under which those numbers were produced (read from the original code).
 *
 * Test accuracy in %, mean ± sd over 5 trials, "after 30,000 iterations", lottery-ticket reset ("original")
 * strategy. Every column holds [naturally trained, adversarially trained]; 'nat' is clean test accuracy of the
 * model trained (or not) against that attack, 'adv' its accuracy on that attack's adversarial test examples.
 */
import type { MeanSd } from '../../core/report/agreement.js';

/** [naturally trained, adversarially trained]. */
export type TrainingPair = readonly [natural: MeanSd, adversarial: MeanSd];

export interface PaperRow {
  /** % of weights remaining. */
  readonly percent: number;
  readonly fgsm_nat: TrainingPair;
  readonly fgsm_adv: TrainingPair;
  readonly pgd_nat: TrainingPair;
  readonly pgd_adv: TrainingPair;
}

const p = (naturalMean: number, naturalSd: number, advMean: number, advSd: number): TrainingPair =>
  [{ mean: naturalMean, sd: naturalSd }, { mean: advMean, sd: advSd }];

const row = (percent: number, fgsm_nat: TrainingPair, fgsm_adv: TrainingPair, pgd_nat: TrainingPair, pgd_adv: TrainingPair): PaperRow =>
  ({ percent, fgsm_nat, fgsm_adv, pgd_nat, pgd_adv });

/** Table 1 (digits) and Table 2 (fashion). */
export const PAPER_TABLES: Readonly<Record<'digits' | 'fashion', readonly PaperRow[]>> = {
  digits: [
    row(100.0, p(98.33, 0.33, 98.25, 0.11), p(8.79, 0.40, 94.30, 0.84), p(98.37, 0.03, 98.38, 0.09), p(2.31, 0.88, 45.32, 0.20)),
    row(51.3, p(98.35, 0.07, 98.13, 0.06), p(9.32, 0.22, 97.09, 0.24), p(98.39, 0.04, 98.07, 0.12), p(2.01, 1.02, 60.14, 0.99)),
    row(16.9, p(98.08, 0.06, 97.90, 0.08), p(11.50, 1.38, 97.46, 0.16), p(98.13, 0.02, 97.73, 0.26), p(0.74, 0.11, 59.91, 0.81)),
    row(8.7, p(97.84, 0.10, 97.54, 0.14), p(8.09, 1.80, 97.02, 0.21), p(97.85, 0.08, 97.20, 0.14), p(1.93, 0.71, 57.60, 0.25)),
    row(3.6, p(97.12, 0.09, 97.00, 0.10), p(7.42, 2.97, 95.23, 0.75), p(97.14, 0.07, 95.58, 0.78), p(2.16, 1.21, 48.81, 0.98)),
    row(1.8, p(95.88, 0.35, 95.49, 0.34), p(4.17, 1.29, 90.15, 1.45), p(95.47, 0.23, 92.67, 1.62), p(4.16, 1.28, 38.23, 2.33)),
  ],
  fashion: [
    row(100.0, p(89.04, 0.33, 89.00, 0.28), p(8.51, 1.24, 86.96, 0.26), p(88.91, 0.04, 88.83, 0.11), p(3.78, 0.40, 24.67, 0.71)),
    row(51.3, p(88.93, 0.27, 88.64, 0.29), p(9.03, 0.67, 86.79, 0.34), p(89.11, 0.05, 89.10, 0.12), p(4.44, 0.31, 28.66, 0.57)),
    row(16.9, p(88.45, 0.11, 88.12, 0.16), p(8.79, 1.11, 86.53, 0.34), p(88.40, 0.14, 87.87, 0.32), p(4.99, 0.21, 27.62, 0.97)),
    row(8.7, p(88.02, 0.23, 87.72, 0.25), p(9.85, 1.30, 85.30, 0.35), p(87.50, 0.29, 86.38, 0.96), p(5.44, 0.38, 25.75, 2.20)),
    row(3.6, p(87.41, 0.37, 87.13, 0.25), p(9.37, 0.65, 82.30, 0.69), p(87.19, 0.48, 83.44, 1.33), p(5.69, 0.99, 23.83, 1.00)),
    row(1.8, p(86.13, 0.22, 85.70, 0.20), p(8.96, 0.62, 78.07, 1.40), p(86.21, 0.28, 81.66, 1.35), p(5.22, 1.24, 23.46, 0.79)),
  ],
};

/**
 * The settings that produced the tables. `iteration` is the row label the paper uses; the original logger's
 * counter advanced by 500 per evaluation while evaluations fired at within-epoch batches 0 and 500 of 834-step
 * epochs, so that row was really taken after `effective_step` training steps.
 */
export const PAPER_SETTINGS = {
  experiment: 'reinit_orig',
  reset_to: 'round0_trained',
  label_smoothing: 0.1,
  /** TensorFlow 1.13.1's Keras cross-entropy of the softmax output (docs/loss.md). */
  loss: 'clipped_probabilities',
  iteration: 30000,
  effective_step: 25021,
  model: 'dense-300-100',
  learning_rate: 0.0012,
  l1_reg: 0,
  batch_size: 60,
  eps: 0.3,
  pgd_step: 0.05,
  pgd_iters: 10,
} as const;
