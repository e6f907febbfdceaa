/**
 * The tfjs adapter without rsn's heap products, the path the cuda and tfnode backends take (tfjs kernels,
 * BatchMatMul for stacked operands, MatMul for one network), run here on tfjs-wasm: two trials trained together
 * as one computation agree, within the tolerances of the backend comparisons (trials-agree.ts), with the same two
 * trials trained one at a time through the same compositions. Not bit for bit: tfjs-wasm's BatchMatMul and
 * MatMul sum in different orders.
 */
import { describe, expect, it } from 'vitest';
import { createTfjsBackend, type TfjsBackend } from '../../backends/tfjs/adapter.js';
import * as paths from '../../core/results/paths.js';
import { useBackend } from '../support/backend.js';
import { trainTrials } from './train-agreement-suite.js';
import { expectTrialsAgree } from './trials-agree.js';

describe('the tfjs adapter without the heap (the cuda and tfnode path)', () => {
  it('trains two trials as one computation, agreeing with its compositions one trial at a time', async () => {
    const wasm = (await useBackend('wasm')) as TfjsBackend;
    expect(wasm.tf.getBackend()).toBe('wasm');
    const plain = createTfjsBackend(wasm.tf, { name: 'wasm', tfBackend: 'wasm', copiesHostData: true });
    const together = await trainTrials(plain, [0, 1], { together: true });
    const alone = await trainTrials(plain, [0, 1], { customKernels: false });
    for (const trial of [0, 1]) expectTrialsAgree(paths.trialDir(together, trial), paths.trialDir(alone, trial), 2);
  });
});
