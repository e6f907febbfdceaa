/**
 * Whole training steps and a whole pruned trial on the native backend's sparse path against the reference
 * backend, with the tolerances of steps.test.ts and train-agreement.test.ts: the sparse kernels change the
 * float32 accumulation order of the products, nothing else. Each test also checks that the sparse kernels ran.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../../core/autodiff/backend.js';
import { CROSSOVER } from '../../../backends/native/crossover.js';
import { createNativeBackend, type NativeBackend } from '../../../backends/native/index.js';
import { countOnes } from '../../../core/pruning/magnitude.js';
import { PRUNED_ROUNDS, roundMasks } from '../../../benchmarks/perf/micro/items.js';
import { disposeAll, fromHost, setActiveBackend } from '../../../core/autodiff/engine.js';
import { liveTensorCount } from '../../../core/autodiff/tensor.js';
import { attackSpec, craft } from '../../../core/attacks/index.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { DENSE_300_100, initialWeights } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainStep } from '../../../core/nn/train-step.js';
import { closeness } from '../../support/allclose.js';
import { expectTrialsAgree, trainPrunedTrial } from '../trials-agree.js';
import { ALWAYS_SPARSE } from './sparse-support.js';
import { expectClose, expectIdentical, native, reference, suiteTitle } from './support.js';
import { BATCH, finishRun as finish, startRun as start, stepRun as step } from '../step-runs.js';

const mismatchRate = (a: Float32Array, b: Float32Array): number => a.filter((v, i) => Math.abs(v - b[i]!) > 1e-6).length / a.length;
const weightsOff = (a: Float32Array, b: Float32Array): number => a.filter((v, i) => Math.abs(v - b[i]!) > 1.2e-5).length / a.length;

describe.skipIf(!native.backend)(suiteTitle('sparse training steps agree with the reference'), () => {
  for (const round of [PRUNED_ROUNDS[3]!, PRUNED_ROUNDS[5]!]) {
    for (const kind of ['natural', 'fgsm', 'pgd'] as const) {
      it(`${kind}, masks of pruning round ${round}: 3 steps, same adversarial examples, losses and weights`, () => {
        const backend = createNativeBackend();
        const rng = new Rng(round);
        const masks = roundMasks(round, rng);
        const weights = initialWeights(DENSE_300_100, rng);
        const [nat, ref] = [start(backend, masks, weights), start(reference, masks, weights)];
        const losses: number[][] = [[], []];
        for (let s = 0; s < 3; s++) {
          const xs = Float32Array.from({ length: BATCH * 784 }, () => (rng.next() < 0.6 ? 0 : rng.next()));
          const labels = Array.from({ length: BATCH }, () => rng.int(10));
          const want = step(ref, kind, xs, labels);
          const got = step(nat, kind, xs, labels, want.adv);
          if (want.adv) expect(mismatchRate(got.adv!, want.adv), `step ${s}: fraction of adversarial pixels that differ`).toBeLessThan(0.01);
          losses[0]!.push(got.loss);
          losses[1]!.push(want.loss);
        }
        expectClose(Float32Array.from(losses[0]!), Float32Array.from(losses[1]!), 1e-5, 0, 'losses');
        const [a, b] = [finish(nat), finish(ref)];
        a.forEach((w, l) => expect(weightsOff(w, b[l]!), `layer ${l}`).toBeLessThan(1e-3));
        const counts = backend.sparseCounts();
        expect(counts.products, 'sparse products').toBeGreaterThan(0);
        expect(counts.sampled, 'sampled weight gradients').toBeGreaterThan(0);
        const sparseLayers = masks.filter((mk) => mk.length >= CROSSOVER.minSize && countOnes(mk) / mk.length < CROSSOVER.product).length;
        expect(sparseLayers, 'layers on the sparse path').toBeGreaterThan(0);
        expect(counts.adam, 'sparse Adam steps: 3 per sparse layer').toBe(3 * sparseLayers);
        expect(backend.liveHandles()).toBe(0);
      });
    }
  }

  it('one batch tensor reused by PGD and natural steps (its lane form kept between them) trains as on the reference', () => {
    const backend = createNativeBackend();
    const rng = new Rng(11);
    const masks = roundMasks(PRUNED_ROUNDS[4]!, rng);
    const weights = initialWeights(DENSE_300_100, rng);
    const xs = Float32Array.from({ length: BATCH * 784 }, () => (rng.next() < 0.6 ? 0 : rng.next()));
    const labels = Array.from({ length: BATCH }, () => rng.int(10));
    const run = (b: Backend) => {
      const r = start(b, masks, weights);
      const [x, targets] = [fromHost(xs, [BATCH, 784]), fromHost(smoothedTargets(labels, 10, 0.1), [BATCH, 10])];
      const losses: number[] = [];
      for (const kind of ['pgd', 'natural', 'pgd', 'natural'] as const) {
        const loss = trainStep(r.net, r.adam, x, targets, 0, kind === 'pgd' ? (e) => craft(attackSpec('pgd'), e, x, r.attackRng) : undefined);
        losses.push(loss.item());
        loss.dispose();
      }
      disposeAll([x, targets]);
      return { losses, weights: finish(r) };
    };
    const [got, want] = [run(backend), run(reference)];
    // PGD's sign steps may flip near-zero pixels differently: losses within 1e-3 (train-agreement's tolerance).
    expect(closeness(got.losses, want.losses, 1e-3, 1e-4)).toBeLessThanOrEqual(1);
    got.weights.forEach((w, l) => expect(weightsOff(w, want.weights[l]!), `layer ${l}`).toBeLessThan(0.01));
    expect(backend.liveHandles()).toBe(0);
    expect(backend.sparseCounts().held).toBe(0);
  });

  it('same seed, same bits: two runs of sparse PGD steps on fresh backends give identical weights and losses', () => {
    const run = () => {
      const backend = createNativeBackend();
      const rng = new Rng(9);
      const masks = roundMasks(PRUNED_ROUNDS[3]!, rng);
      const r = start(backend, masks, initialWeights(DENSE_300_100, rng));
      const losses: number[] = [];
      for (let s = 0; s < 2; s++) {
        const xs = rng.uniformArray(BATCH * 784, 0, 1);
        losses.push(step(r, 'pgd', xs, Array.from({ length: BATCH }, () => rng.int(10))).loss);
      }
      expect(backend.sparseCounts().products).toBeGreaterThan(0);
      return { losses, weights: finish(r) };
    };
    const [a, b] = [run(), run()];
    expect(a.losses).toEqual(b.losses);
    a.weights.forEach((w, l) => expectIdentical(w, b.weights[l]!, `layer ${l}`));
  });

  it('live handles, tensors and the sparse path\'s internal buffers stay flat over 10 sparse steps of each kind', () => {
    const backend = createNativeBackend();
    const rng = new Rng(5);
    const run = start(backend, roundMasks(PRUNED_ROUNDS[4]!, rng), initialWeights(DENSE_300_100, rng));
    const xs = rng.uniformArray(BATCH * 784, 0, 1);
    const labels = Array.from({ length: BATCH }, () => rng.int(10));
    step(run, 'pgd', xs, labels);
    const [handles, tensors, held] = [backend.liveHandles(), liveTensorCount(), backend.sparseCounts().held];
    for (const kind of ['natural', 'fgsm', 'pgd'] as const) {
      for (let s = 0; s < 10; s++) step(run, kind, xs, labels);
      expect(backend.liveHandles(), `${kind}: live handles`).toBe(handles);
      expect(liveTensorCount(), `${kind}: live tensors`).toBe(tensors);
      expect(backend.sparseCounts().held, `${kind}: internal buffers of the sparse path`).toBe(held);
    }
    expect(backend.sparseCounts().adam).toBeGreaterThan(0);
    finish(run);
  });
});

/** train-agreement.test.ts's check, on the native backend with every mask on the sparse kernels. */
describe.skipIf(!native.backend)(suiteTitle('a pruned trial on the sparse kernels agrees with the reference'), () => {
  it('gives the same metrics, weights and masks within tolerance over three rounds', async () => {
    const backend: NativeBackend = createNativeBackend({ sparse: ALWAYS_SPARSE });
    const other = await trainPrunedTrial(backend, 'native');
    const counts = backend.sparseCounts();
    backend.close?.();
    const ref = await trainPrunedTrial(reference, 'reference');
    expect(counts.products).toBeGreaterThan(0);
    expect(counts.sampled).toBeGreaterThan(0);
    expect(counts.adam).toBeGreaterThan(0);
    expectTrialsAgree(other, ref, 3);
  });
});
