/**
 * `rsn train`'s path with lenet5 on the native backend (its convolution and pooling kernels) agrees with the
 * reference backend's, round by round, within the train-agreement tolerances (trials-agree.ts): two rounds of
 * FGSM-adversarial training with magnitude pruning between them, masks on the filters included. (Steps of each
 * kind, PGD's too, are compared more tightly in conv-steps.test.ts; the reference backend's convolutions make a
 * longer trial slow.)
 */
import { describe, it } from 'vitest';
import { createReferenceBackend } from '../../../backends/reference/index.js';
import { LENET5 } from '../../../core/nn/models/index.js';
import { expectTrialsAgree, trainPrunedTrial } from '../trials-agree.js';
import { native, suiteTitle } from './support.js';

describe.skipIf(!native.backend)(suiteTitle('lenet5 trials agree with the reference'), () => {
  it('two pruned rounds of FGSM-adversarial training', async () => {
    const config = { model: LENET5.name, prune_iters: 1, eval_every: 12 };
    const ours = await trainPrunedTrial(native.backend!, 'native', config);
    const theirs = await trainPrunedTrial(createReferenceBackend('float32'), 'reference', config);
    expectTrialsAgree(ours, theirs, 2, LENET5);
  });
});
