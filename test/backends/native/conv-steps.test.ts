/**
 * Whole training steps of the convolutional models on the native backend (its convolution and pooling kernels)
 * against the reference backend, with the checks and tolerances of the conformance suite's training steps
 * (backends/conformance/step-checks.ts, modelStepChecks): natural, FGSM and PGD steps, the same bits from two
 * runs, no leaks; lenet5 at batch 60 with PGD-10, cnn-madry at batch 8 with PGD-2 (the reference backend's
 * convolutions of cnn-madry take seconds). lenet5 also with 95% of its kernel weights pruned: its dense layers
 * then run on the sparse kernels, whose compact forms of W * M the convolution kernels' neighbours meet.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { oracle } from '../../../backends/conformance/case.js';
import { modelStepChecks } from '../../../backends/conformance/step-checks.js';
import { CNN_MADRY, LENET5 } from '../../../core/nn/models/index.js';
import type { NativeBackend } from '../../../backends/native/index.js';
import { native, suiteTitle } from './support.js';

const reference = oracle();

// The steps on the CPU backends never wait on the event loop (reads resolve at once), so without this the file
// would run as one stretch of over a minute, and vitest's worker, blocked that long, misses its runner's replies.
beforeEach(() => new Promise<void>((resolve) => setImmediate(resolve)));

describe.skipIf(!native.backend)(suiteTitle('training steps of the convolutional models agree with the reference'), () => {
  for (const c of modelStepChecks(LENET5, { batch: 60 })) {
    it(c.name, () => c.run({ backend: native.backend!, reference }), 120_000);
  }
  const sparse = () => (native.backend as NativeBackend).sparseCounts();
  const before = { products: 0 };
  it('(counts the sparse products before the pruned lenet5)', () => void (before.products = sparse().products));
  for (const c of modelStepChecks(LENET5, { batch: 60, pruned: 0.95 })) {
    it(c.name, () => c.run({ backend: native.backend!, reference }), 120_000);
  }
  it('ran the pruned lenet5\'s dense layers on the sparse kernels', () => expect(sparse().products).toBeGreaterThan(before.products));
  for (const c of modelStepChecks(CNN_MADRY, { batch: 8, pgdIterations: 2 })) {
    it(c.name, () => c.run({ backend: native.backend!, reference }), 300_000);
  }
});
