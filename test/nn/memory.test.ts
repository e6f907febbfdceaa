/**
 * Leak check: live tensors (core/autodiff/tensor.ts) and backend handles stay flat over 100 training steps
 * of dense-300-100, natural and adversarial-style (an extra constant input batch), with the L1 penalty.
 */
import { describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { disposeAll, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import { liveTensorCount } from '../../core/autodiff/tensor.js';
import { Adam } from '../../core/nn/adam.js';
import { smoothedTargets } from '../../core/nn/loss.js';
import { DENSE_300_100, createNetwork, disposeNetwork, initialWeights } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';

const BATCH = 4;

describe('memory stays flat over 100 training steps of dense-300-100', () => {
  it('liveTensorCount and backend.liveHandles after step 10 equal those after step 100, and return to the start', () => {
    const backend = createReferenceBackend('float32');
    setActiveBackend(backend);
    const start = { tensors: liveTensorCount(), handles: backend.liveHandles() };
    const rng = new Rng(1);
    const net = createNetwork(DENSE_300_100, initialWeights(DENSE_300_100, rng));
    const adam = new Adam();
    const counts: { tensors: number; handles: number }[] = [];
    for (let step = 1; step <= 100; step++) {
      const labels = Array.from({ length: BATCH }, () => rng.int(10));
      const x = op.tensor(rng.uniformArray(BATCH * 784, 0, 1), [BATCH, 784]);
      const y = op.tensor(smoothedTargets(labels, 10, 0.1), [BATCH, 10]);
      const xAdv = step % 2 === 0 ? tidy(() => op.clip(op.add(x, 0.1), 0, 1)) : undefined;
      const loss = trainStep(net, adam, x, y, step % 3 === 0 ? 1e-4 : 0, xAdv);
      expect(Number.isFinite(loss.item())).toBe(true);
      disposeAll([x, y, xAdv, loss]);
      if (step === 10 || step === 100) counts.push({ tensors: liveTensorCount(), handles: backend.liveHandles() });
    }
    expect(counts[1]).toEqual(counts[0]);
    // What is alive in between: 3 weights, 3 masks, and Adam's m and v for each weight.
    expect(counts[0]!.tensors - start.tensors).toBe(12);
    expect(counts[0]!.handles - start.handles).toBe(12);
    disposeNetwork(net);
    adam.reset();
    expect({ tensors: liveTensorCount(), handles: backend.liveHandles() }).toEqual(start);
  });
});
