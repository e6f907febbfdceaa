/**
 * Whole training steps of dense-300-100 at batch 60 on the native backend against the reference backend:
 * natural, FGSM-adversarial and PGD-10-adversarial, from the same weights, batch and seeds. The two differ only
 * by the float32 accumulation order of the matrix products (OpenBLAS against the reference's double
 * accumulation), so losses, adversarial examples and weights must agree to float32 rounding.
 * Also: the live handle count stays flat over many steps of each kind.
 */
import { describe, expect, it } from 'vitest';
import { disposeAll, fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import { liveTensorCount, type Tensor } from '../../../core/autodiff/tensor.js';
import { attackSpec, craft } from '../../../core/attacks/index.js';
import { Adam } from '../../../core/nn/adam.js';
import { smoothedTargets } from '../../../core/nn/loss.js';
import { classifierOf, createNetwork, DENSE_300_100, disposeNetwork, effectiveWeights, initialWeights, readParameters, type Network } from '../../../core/nn/model.js';
import { Rng } from '../../../core/nn/rng.js';
import { trainStep } from '../../../core/nn/train-step.js';
import { expectClose, native, reference, suiteTitle } from './support.js';
import { BATCH, finishRun as finish, startRun as start, type Run, type StepKind as Kind } from '../step-runs.js';

/** Upload a batch to run's backend and craft its adversarial examples there (undefined for natural steps). */
function batch(run: Run, kind: Kind, xs: Float32Array, labels: number[]) {
  setActiveBackend(run.backend);
  const [x, targets] = tidy(() => [fromHost(xs, [BATCH, 784]), fromHost(smoothedTargets(labels, 10, 0.1), [BATCH, 10])]) as [Tensor, Tensor];
  const xAdv = kind === 'natural' ? undefined : tidy(() => craft(attackSpec(kind), classifierOf(run.net), x, run.attackRng));
  return { x, targets, xAdv };
}

function step(run: Run, b: ReturnType<typeof batch>, xAdv: Float32Array | undefined): number {
  setActiveBackend(run.backend);
  const adv = xAdv && fromHost(xAdv, [BATCH, 784]);
  const loss = trainStep(run.net, run.adam, b.x, b.targets, 0, adv);
  const value = loss.item();
  disposeAll([loss, adv, b.x, b.targets, b.xAdv]);
  return value;
}

/** Fraction of pixels whose adversarial values differ (a sign flip of a near-zero input gradient moves one). */
function mismatchRate(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 1e-6) n++;
  return n / a.length;
}

/** Fraction of weights further apart than 1% of Adam's step (1.2e-5). */
function weightsOff(a: Float32Array, b: Float32Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - b[i]!) > 1.2e-5) n++;
  return n / a.length;
}

/**
 * Native and reference in lockstep from the same weights (80% masks) and batches. Each backend crafts its own
 * adversarial examples (compared), then both train on the reference's, so that the training steps are compared
 * on identical inputs.
 */
function lockstep(kind: Kind, steps: number, nativeSteps = steps) {
  const rng = new Rng(42);
  const masks = DENSE_300_100.parameters.map((l) => Float32Array.from({ length: l.fanIn * l.fanOut }, () => (rng.next() < 0.8 ? 1 : 0)));
  const weights = initialWeights(DENSE_300_100, rng);
  const [nat, ref] = [start(native.backend!, masks, weights), start(reference, masks, weights)];
  const result = { losses: [[], []] as number[][], mismatch: [] as number[], weights: [] as Float32Array[][] };
  for (let s = 0; s < steps; s++) {
    const xs = rng.uniformArray(BATCH * 784, 0, 1);
    const labels = Array.from({ length: BATCH }, () => rng.int(10));
    const want = batch(ref, kind, xs, labels);
    const wantAdv = want.xAdv?.dataSync() as Float32Array | undefined;
    result.losses[1]!.push(step(ref, want, wantAdv));
    if (s >= nativeSteps) continue;
    const got = batch(nat, kind, xs, labels);
    if (got.xAdv) result.mismatch.push(mismatchRate(got.xAdv.dataSync() as Float32Array, wantAdv!));
    result.losses[0]!.push(step(nat, got, wantAdv));
  }
  result.weights = [finish(nat), finish(ref)];
  return result;
}

describe.skipIf(!native.backend)(suiteTitle('training steps agree with the reference'), () => {
  for (const kind of ['natural', 'fgsm', 'pgd'] as const) {
    it(`${kind}: 3 steps, same adversarial examples, losses and weights`, () => {
      const { losses, mismatch, weights } = lockstep(kind, 3);
      // An attack takes sign(grad_x): where a pixel's gradient is within rounding of 0 the backends may step it
      // in opposite directions, and PGD carries such a difference through its later iterations.
      mismatch.forEach((rate, s) => expect(rate, `${kind} x_adv, step ${s}: fraction of pixels that differ`).toBeLessThan(0.01));
      expectClose(Float32Array.from(losses[0]!), Float32Array.from(losses[1]!), 1e-5, 0, `${kind} losses`);
      // Adam's first steps move a weight by about the learning rate: the backends agree to 1% of that.
      weights[0]!.forEach((w, l) => expect(weightsOff(w, weights[1]![l]!), `${kind} layer ${l}`).toBeLessThan(1e-3));
    });
  }

  it('the weight comparison can fail: one step apart, most weights differ', () => {
    const { weights } = lockstep('natural', 2, 1);
    expect(weightsOff(weights[0]![0]!, weights[1]![0]!)).toBeGreaterThan(0.5);
  });
});

describe.skipIf(!native.backend)(suiteTitle('memory'), () => {
  it('live handles and tensors stay flat over 10 steps of each kind', () => {
    const rng = new Rng(3);
    const run = start(native.backend!, DENSE_300_100.parameters.map((l) => new Float32Array(l.fanIn * l.fanOut).fill(1)), initialWeights(DENSE_300_100, rng));
    const xs = rng.uniformArray(BATCH * 784, 0, 1);
    const labels = Array.from({ length: BATCH }, () => rng.int(10));
    const once = (kind: Kind) => {
      const b = batch(run, kind, xs, labels);
      step(run, b, b.xAdv?.dataSync() as Float32Array | undefined);
    };
    once('pgd'); // the optimiser's moments now exist
    const handles = native.backend!.liveHandles();
    const tensors = liveTensorCount();
    for (const kind of ['natural', 'fgsm', 'pgd'] as const) {
      for (let s = 0; s < 10; s++) once(kind);
      expect(native.backend!.liveHandles(), `${kind}: live handles`).toBe(handles);
      expect(liveTensorCount(), `${kind}: live tensors`).toBe(tensors);
    }
    finish(run);
  });
});
