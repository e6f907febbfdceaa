/**
 * The webgpu backend's fused kernels (backends/webgpu/kernels/custom.ts: adam, maskedAdam, signStep, pgdStep, and
 * mask-weights.ts: maskWeights; the cross-entropy's are checked in webgpu-cross-entropy.test.ts, a training step's
 * gradients in webgpu-training-gradients.test.ts, and both here within training steps) against the
 * compositions that define them, run by the same backend without them (withoutCustomKernels): the same float32
 * operations in the same order on the same device, so the results must be identical bit for bit; and against
 * the reference backend, also bit for bit (the operations are IEEE float32 sums, products, quotients and square
 * roots, correctly rounded on llvmpipe as in the reference, and bit operations). Each test checks that the fused
 * kernel really ran, in one dispatch, so that a silent fallback to the composition cannot pass for it.
 * On Mesa's llvmpipe where there is no GPU (RSN_WEBGPU_SOFTWARE=1, set here); skipped with the reason where no
 * adapter exists, a failure then under RSN_REQUIRE_WEBGPU=1.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, keep, tidy } from '../../core/autodiff/engine.js';
import type { Shape } from '../../core/autodiff/primitives.js';
import { sizeOf } from '../../core/autodiff/shapes.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, signStep } from '../../core/attacks/attack.js';
import { projectedStep } from '../../core/attacks/pgd.js';
import { ShapeError } from '../../core/errors.js';
import { Adam } from '../../core/nn/adam.js';
import { customOp } from '../../core/nn/custom-ops.js';
import { effectiveWeights, mlp } from '../../core/nn/model.js';
import { Rng } from '../../core/nn/rng.js';
import type { WebgpuBackend } from '../../backends/webgpu/index.js';
import { SOFTWARE_ENV } from '../../backends/webgpu/device.js';
import { expectIdentical, on, oracle, requireWebgpuUnderCi, tryLoad } from './support.js';
import { STACKED_SPEC, STACKED_STEP_KINDS, trainStackedSteps } from './stacked-training.js';
import { readOutputs, readWithKernels, spyOnKernel, withoutKernels } from './kernel-checks.js';

process.env[SOFTWARE_ENV] ??= '1';
const loaded = await tryLoad('webgpu');
const gpu = loaded.backend as WebgpuBackend | undefined;
const reference = oracle();
const FC = { seed: 20240611, numRuns: 25 } as const;

requireWebgpuUnderCi(loaded, 'webgpu-custom-kernels');

const finite = fc.double({ min: -3, max: 3, noNaN: true }).map(Math.fround);
/** Values a fused evaluation could get wrong: signed zeros, subnormals, huge, infinite and NaN. */
const special = fc.constantFrom(0, -0, 1e-45, -1e-45, 3e-39, -1e-40, 3e38, -3.4e38, Infinity, -Infinity, NaN);
const anyValue = fc.oneof({ arbitrary: finite, weight: 4 }, { arbitrary: special, weight: 1 });
/** A shape of 1 to 3 axes (a stack of networks' tensors has 3), 1 to 60 elements in all. */
const shapes = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 })
  .chain((dims) => fc.integer({ min: 1, max: 12 }).map((first) => [first, ...dims.slice(1)] as Shape));
const valuesOf = (shape: Shape, value: fc.Arbitrary<number>) =>
  fc.array(value, { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((v) => Float32Array.from(v));
/** A clip range min < max, and sometimes the attacks' [0, 1]. */
const clipRanges = fc.oneof(
  fc.constant([0, 1] as const),
  fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: 1e-3, max: 3, noNaN: true })).map(([lo, width]) => [lo, lo + width] as const),
);

/** The backend itself, or the same backend running the compositions instead of its fused kernels. */
const variant = (custom: boolean): Backend => (custom ? gpu! : withoutCustomKernels(gpu!));

/** fn on the fused kernels (checking that `name` ran `calls` times and never declined), on the composition and on the reference: all identical. */
async function expectAllIdentical(name: 'adam' | 'maskedAdam' | 'maskWeights' | 'signStep' | 'pgdStep', calls: number, fn: () => Tensor[]): Promise<void> {
  const fused = await readWithKernels(gpu!, { [name]: calls }, fn);
  const composed = await readOutputs(variant(false), fn);
  const expected = await readOutputs(reference, fn);
  fused.forEach((values, k) => {
    expectIdentical(values, composed[k]!, `${name} output ${k} against the composition`);
    expectIdentical(values, expected[k]!, `${name} output ${k} against the reference`);
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!gpu)('webgpu fused kernels equal their compositions and the reference', () => {
  it('adam: three steps of weights, gradients with signed zeros, subnormals, infinities and NaN, any shape', async () => {
    const arb = shapes.chain((shape) =>
      fc.tuple(fc.constant(shape), valuesOf(shape, anyValue), fc.array(valuesOf(shape, anyValue), { minLength: 3, maxLength: 3 }),
        fc.double({ min: 1e-5, max: 1e-2, noNaN: true }), fc.double({ min: 1e-8, max: 1e-3, noNaN: true })));
    await fc.assert(
      fc.asyncProperty(arb, async ([shape, w0, grads, learningRate, epsilon]) => {
        const adam = new Adam({ learningRate, beta1: 0.9, beta2: 0.999, epsilon });
        // The moments are the kernel's outputs too: steps 2 and 3 read them, and the last ones are returned.
        const steps = () => {
          adam.reset();
          let w = fromHost(w0, shape);
          for (const g of grads) w = adam.apply([w], [fromHost(g, shape)])[0]!;
          const { m, v } = (adam as unknown as { moments: { m: Tensor; v: Tensor }[] }).moments[0]!;
          return [w, m, v];
        };
        await expectAllIdentical('adam', 3, steps);
        adam.reset();
      }),
      FC,
    );
  });

  it('maskedAdam: three steps on gradients times masks of zeros, ones and any value', async () => {
    const maskValue = fc.oneof({ arbitrary: fc.constantFrom(0, 1), weight: 4 }, { arbitrary: anyValue, weight: 1 });
    const arb = shapes.chain((shape) =>
      fc.tuple(fc.constant(shape), valuesOf(shape, anyValue), fc.array(valuesOf(shape, anyValue), { minLength: 3, maxLength: 3 }), valuesOf(shape, maskValue)));
    await fc.assert(
      fc.asyncProperty(arb, async ([shape, w0, grads, mask]) => {
        const adam = new Adam();
        const steps = () => {
          adam.reset();
          let w = fromHost(w0, shape);
          for (const g of grads) w = adam.apply([w], [fromHost(g, shape)], [fromHost(mask, shape)])[0]!;
          const { m, v } = (adam as unknown as { moments: { m: Tensor; v: Tensor }[] }).moments[0]!;
          return [w, m, v];
        };
        await expectAllIdentical('maskedAdam', 3, steps);
        adam.reset();
      }),
      FC,
    );
  });

  it('maskWeights: one to five layers of weights times masks, any values', async () => {
    const layer = shapes.chain((shape) => fc.tuple(fc.constant(shape), valuesOf(shape, anyValue), valuesOf(shape, anyValue)));
    await fc.assert(
      fc.asyncProperty(fc.array(layer, { minLength: 1, maxLength: 5 }), async (layers) => {
        await expectAllIdentical('maskWeights', 1, () =>
          effectiveWeights(layers.map(([shape, w]) => fromHost(w, shape)), layers.map(([shape, , m]) => fromHost(m, shape))));
      }),
      FC,
    );
  });

  it('signStep: clip(x + sign(g) * scale) at and beyond the clip bounds, g of every sign and NaN, a zero scale', async () => {
    const arb = shapes.chain((shape) =>
      fc.tuple(fc.constant(shape), valuesOf(shape, anyValue), valuesOf(shape, anyValue), clipRanges,
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }))));
    await fc.assert(
      fc.asyncProperty(arb, async ([shape, x, g, [clipMin, clipMax], eps]) => {
        const spec = attackSpec('fgsm', { eps, clipMin, clipMax });
        await expectAllIdentical('signStep', 1, () => [signStep(fromHost(x, shape), fromHost(g, shape), eps, spec)]);
      }),
      FC,
    );
  });

  it('pgdStep: the projected step from points inside and outside the eps-ball and the clip range, a zero eps', async () => {
    const arb = shapes.chain((shape) =>
      fc.tuple(fc.constant(shape), valuesOf(shape, anyValue), valuesOf(shape, anyValue), valuesOf(shape, anyValue), clipRanges,
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true })), fc.double({ min: 1e-3, max: 0.5, noNaN: true })));
    await fc.assert(
      fc.asyncProperty(arb, async ([shape, x, current, g, [clipMin, clipMax], eps, step]) => {
        const spec = attackSpec('pgd', { eps, step, clipMin, clipMax });
        await expectAllIdentical('pgdStep', 1, () => [projectedStep(fromHost(x, shape), fromHost(current, shape), fromHost(g, shape), spec)]);
      }),
      FC,
    );
  });

  it('each runs as one dispatch, whatever the number of elements (a stack of 3 networks\' largest weights)', async () => {
    const shape: Shape = [3, 784, 300];
    const rng = new Rng(5);
    const [w, g, m, v, x] = on(gpu!, () => Array.from({ length: 5 }, () => keep(fromHost(rng.uniformArray(sizeOf(shape), -1, 1), shape))));
    const unused = (): Tensor[] => expect.fail('the composition ran: the fused kernel declined');
    const attack = { step: 0.05, eps: 0.3, min: 0, max: 1 };
    const cases: [string, () => Tensor[]][] = [
      ['adam', () => customOp('adam', { w: w!, g: g!, m: m!, v: v! }, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, unused, [shape, shape, shape])],
      ['signStep', () => customOp('signStep', { x: x!, g: g! }, { scale: 0.3, min: 0, max: 1 }, unused, [shape])],
      ['pgdStep', () => customOp('pgdStep', { x: x!, current: m!, g: g! }, attack, unused, [shape])],
      ['maskedAdam', () => customOp('maskedAdam', { w: w!, g: g!, mask: x!, m: m!, v: v! }, { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, unused, [shape, shape, shape])],
      ['maskWeights', () => customOp('maskWeights', { weights: [w!, g!], masks: [x!, m!] }, {}, unused, [shape, shape])],
    ];
    try {
      for (const [name, fn] of cases) {
        const before = gpu!.stats().dispatches;
        const outputs = on(gpu!, () => tidy(fn));
        expect(gpu!.stats().dispatches - before, name).toBe(1);
        await Promise.all(outputs.map((t) => t.data()));
        disposeAll(outputs);
      }
    } finally {
      disposeAll([w, g, m, v, x]);
    }
  });

  it('declines tensors of different shapes (the composition broadcasts them) and an empty clip range (the composition reports it)', async () => {
    const spy = spyOnKernel(gpu!, 'signStep');
    const step = () => [signStep(fromHost(Float32Array.of(0.2, 0.5, 0.9, 0.1, 0, 1), [2, 3]), fromHost(Float32Array.of(1, -0, -2), [3]), 0.25, attackSpec('fgsm'))];
    const [viaGpu] = await readOutputs(gpu!, step);
    expect(spy).toHaveBeenCalledOnce();
    expect(spy.mock.results[0]!.value).toBeUndefined();
    expectIdentical(viaGpu!, (await readOutputs(reference, step))[0]!, 'broadcast signStep');
    const empty = { ...attackSpec('fgsm'), clipMin: 1, clipMax: 0 };
    expect(() => on(gpu!, () => tidy(() => signStep(fromHost(Float32Array.of(0.5), [1]), fromHost(Float32Array.of(1), [1]), 0.1, empty)))).toThrow(ShapeError);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(spy.mock.results[1]!.value).toBeUndefined();
  });

  it('stacked training steps of 3 networks (natural, FGSM, PGD-3): weights, moments and losses identical with and without the fused kernels (the masks, Adam, the attacks\' steps, the loss and its gradients)', async () => {
    const iterations = 3;
    const train = (backend: Backend) => trainStackedSteps(backend, { seed: 77, pgdIterations: iterations, moments: true });
    const names = ['maskedAdam', 'signStep', 'pgdStep', 'maskWeights', 'mlpTrainingGradients'] as const;
    const spies = names.map((name) => spyOnKernel(gpu!, name));
    // Without the whole attacks' kernels (webgpu-attacks.test.ts), which would replace the steps.
    const fused = await train(withoutKernels(gpu!, ['fgsmAttack', 'pgdAttack']));
    // Adam on the masked gradient per parameter and step; one signed step for FGSM; one projected step per PGD
    // iteration; the effective weights and the loss with its gradients once per step (the attacks' input gradients
    // are the kernel mlpInputGradient, mlp-input-gradient.ts).
    expect(spies.map((spy) => spy.mock.calls.length)).toEqual([STACKED_SPEC.parameters.length * STACKED_STEP_KINDS, 1, iterations, STACKED_STEP_KINDS, STACKED_STEP_KINDS]);
    for (const spy of spies) for (const result of spy.mock.results) expect(result.value).toBeDefined();
    vi.restoreAllMocks();
    const composed = await train(withoutCustomKernels(gpu!));
    fused.forEach((values, k) => expectIdentical(values, composed[k]!, `tensor ${k}`));
  });
});

