/**
 * Whole training steps of the convolutional models on a backend against the reference backend, with the checks
 * and tolerances of the conformance suite's training steps (backends/conformance/step-checks.ts,
 * modelStepChecks): natural, FGSM and PGD steps, the same bits from two runs, no leaks. lenet5 at batch 8 with
 * PGD-3, cnn-madry at batch 8 with PGD-2 (the reference backend's convolutions of cnn-madry take seconds a step).
 * The native backend runs the same checks at LeNet-5's full batch in native/conv-steps.test.ts.
 */
import { beforeEach, it } from 'vitest';
import type { Backend } from '../../core/autodiff/backend.js';
import { oracle } from '../../backends/conformance/case.js';
import { modelStepChecks } from '../../backends/conformance/step-checks.js';
import { CNN_MADRY, LENET5 } from '../../core/nn/models/index.js';

/**
 * `madryLeaks: false` leaves out cnn-madry's leak check (24 steps; four minutes on llvmpipe), where lenet5's
 * leak check covers the same kernels.
 */
export function modelStepConformance(get: () => Backend, { madryLeaks = true } = {}): void {
  const reference = oracle();
  // Long synchronous stretches would starve vitest's worker of its runner's replies; yield between cases.
  beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));
  for (const c of modelStepChecks(LENET5, { batch: 8, pgdIterations: 3 })) {
    it(c.name, () => c.run({ backend: get(), reference }), 300_000);
  }
  for (const c of modelStepChecks(CNN_MADRY, { batch: 8, pgdIterations: 2 }).filter((c) => madryLeaks || !/leaks/.test(c.name))) {
    it(c.name, () => c.run({ backend: get(), reference }), 600_000);
  }
}
