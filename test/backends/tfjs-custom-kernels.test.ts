/**
 * The tfjs adapter's custom kernels (backends/tfjs/custom.ts) on tfjs-wasm, against the compositions that define
 * them run by the same backend without them (withoutCustomKernels): the kernels run the same tfjs kernels on the same
 * operands, so the results must be identical bit for bit. Each test checks that the custom kernel really ran,
 * so that a silent fallback to the composition cannot pass for it. Agreement with the reference backend is
 * the conformance suite's job (it runs with the kernels).
 */
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels, type Backend } from '../../core/autodiff/backend.js';
import { createTfjsBackend, type TfjsBackend } from '../../backends/tfjs/adapter.js';
import { wasmHeap } from '../../backends/tfjs/heap.js';
import { disposeAll, fromHost, keep, tidy } from '../../core/autodiff/engine.js';
import { valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { attackSpec, inputGradient, signStep } from '../../core/attacks/attack.js';
import { pgd } from '../../core/attacks/pgd.js';
import { Adam } from '../../core/nn/adam.js';
import { Rng } from '../../core/nn/rng.js';
import { trainStep } from '../../core/nn/train-step.js';
import { compare, expectIdentical, on, oracle, TOL, tryLoad } from './support.js';
import { mlpClassifier } from '../support/classifier.js';

const loaded = await tryLoad('wasm');
const wasm = loaded.backend as TfjsBackend | undefined;
const reference = oracle();
const FC = { seed: 20191205, numRuns: 40 } as const;

const finite = fc.double({ min: -3, max: 3, noNaN: true }).map(Math.fround);
const withZeros = fc.oneof(finite, fc.constantFrom(0, -0));
/** Gradients with the values a sign computed by scaling must get right: signed zeros, subnormals, huge values. */
const gradients = fc.oneof(finite, fc.constantFrom(0, -0, 1e-45, -1e-45, 3e-39, -1e-40, 3e38, -3.4e38, Infinity, -Infinity));
const valuesOf = (n: number, value: fc.Arbitrary<number>) => fc.array(value, { minLength: n, maxLength: n }).map((v) => Float32Array.from(v));

/**
 * The adapters under test, both on tfjs-wasm: the wasm backend as loaded, whose elementwise custom kernels are
 * SIMD loops in its heap, and an adapter without the heap, whose custom kernels are tfjs kernels (as on tfnode
 * and cuda, which cannot run here).
 */
const variants: [string, () => TfjsBackend][] = wasm
  ? [
    ['SIMD loops in the heap', () => wasm],
    ['tfjs kernels, as on tfnode and cuda', () => createTfjsBackend(wasm.tf, { name: 'wasm', tfBackend: 'wasm', copiesHostData: true })],
  ]
  : [];
let subject: TfjsBackend;

/** Spy on one custom kernel of the adapter under test. */
const spyCustom = (name: string) => vi.spyOn(subject.custom as Record<string, (...args: never[]) => unknown>, name);

/** The backend itself, or the same backend running the compositions instead of its custom kernels. */
const variant = (backend: Backend, custom: boolean): Backend => (custom ? backend : withoutCustomKernels(backend));

/** fn's tensor results read back, with or without custom kernels, on the adapter under test (or the reference backend). */
function run(custom: boolean, fn: () => Tensor, backend: Backend = subject): Float32Array {
  return on(variant(backend, custom), () => tidy(() => fn().dataSync() as Float32Array));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!wasm)(`tfjs-wasm${wasm ? '' : ` (skipped: ${loaded.reason})`}`, () => {
  it('runs Adam as a SIMD loop in its heap, without tfjs kernels (the first variant below exercises that path)', () => {
    expect(wasmHeap(wasm!.tf)).toBeDefined();
    const engine = wasm!.tf.engine();
    const runKernel = vi.spyOn(engine, 'runKernel');
    const adam = new Adam();
    on(wasm!, () => tidy(() => void adam.apply([fromHost(Float32Array.of(1, 2, 3), [3])], [fromHost(Float32Array.of(0.5, -1, 0), [3])])));
    adam.reset();
    const names = runKernel.mock.calls.map(([name]) => name);
    expect(names).not.toContain('Sqrt');
    expect(names).not.toContain('RealDiv');
  });
});

describe.each(variants)('tfjs-wasm custom kernels as %s equal their compositions', (_, adapter) => {
  beforeAll(() => {
    subject = adapter();
    expect(subject.custom).toBeDefined();
  });

  it('adam: three Adam steps, weights identical with and without the kernel', () => {
    const arb = fc.integer({ min: 1, max: 300 }).chain((n) =>
      fc.tuple(fc.constant(n), valuesOf(n, finite), fc.array(valuesOf(n, withZeros), { minLength: 3, maxLength: 3 }),
        fc.double({ min: 1e-5, max: 1e-2, noNaN: true }), fc.double({ min: 1e-8, max: 1e-3, noNaN: true })));
    fc.assert(
      fc.property(arb, ([n, w0, grads, learningRate, epsilon]) => {
        const steps = (custom: boolean) => {
          const adam = new Adam({ learningRate, beta1: 0.9, beta2: 0.999, epsilon });
          const w = run(custom, () => {
            let w = fromHost(w0, [n]);
            for (const g of grads) w = adam.apply([w], [fromHost(g, [n])])[0]!;
            return w;
          });
          adam.reset();
          return w;
        };
        const spy = spyCustom('adam');
        const viaKernel = steps(true);
        expect(spy).toHaveBeenCalledTimes(3);
        expectIdentical(viaKernel, steps(false), 'adam');
        expect(spy).toHaveBeenCalledTimes(3);
        spy.mockRestore();
      }),
      FC,
    );
  });

  it('signStep: clip(x + sign(g) * scale) for zero, subnormal, huge and infinite g, and a zero scale', () => {
    const arb = fc.integer({ min: 1, max: 200 }).chain((n) =>
      fc.tuple(fc.constant(n), valuesOf(n, fc.double({ min: 0, max: 1, noNaN: true }).map(Math.fround)), valuesOf(n, gradients),
        fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1, noNaN: true }))));
    fc.assert(
      fc.property(arb, ([n, x, g, eps]) => {
        const step = () => signStep(fromHost(x, [n]), fromHost(g, [n]), eps, attackSpec('fgsm', { eps }));
        const spy = spyCustom('signStep');
        const viaKernel = run(true, step);
        expect(spy).toHaveBeenCalledOnce();
        expectIdentical(viaKernel, run(false, step), 'signStep');
        spy.mockRestore();
      }),
      FC,
    );
  });

  /** A random ReLU network: 1 to 3 layers, widths 1 to 40, batch 1 to 12. */
  const networkArb = fc
    .tuple(fc.integer({ min: 1, max: 12 }), fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 2, maxLength: 4 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }))
    .map(([batch, widths, seed]) => {
      const rng = new Rng(seed);
      return {
        batch, widths,
        x: rng.uniformArray(batch * widths[0]!, 0, 1),
        weights: widths.slice(1).map((w, i) => rng.uniformArray(widths[i]! * w, -1, 1)),
        labels: Array.from({ length: batch }, () => rng.int(widths[widths.length - 1]!)),
      };
    });
  type Network = typeof networkArb extends fc.Arbitrary<infer N> ? N : never;
  const upload = (net: Network) => ({
    x: fromHost(net.x, [net.batch, net.widths[0]!]),
    weights: net.weights.map((w, i) => fromHost(w, [net.widths[i]!, net.widths[i + 1]!])),
    targets: op.oneHot(fromHost(Int32Array.from(net.labels), [net.batch], 'int32'), net.widths[net.widths.length - 1]!),
  });

  it('mlpInputGradient: the attack gradient of random ReLU networks, identical with and without the kernel', () => {
    fc.assert(
      fc.property(networkArb, (net) => {
        const gradient = () => {
          const { x, weights, targets } = upload(net);
          return inputGradient(mlpClassifier(weights), x, targets);
        };
        const spy = spyCustom('mlpInputGradient');
        const viaKernel = run(true, gradient);
        expect(spy).toHaveBeenCalledOnce();
        expectIdentical(viaKernel, run(false, gradient), 'mlpInputGradient');
        const { ratio, detail } = compare(viaKernel, run(true, gradient, reference), TOL.reduction);
        expect(ratio, `mlpInputGradient vs reference: ${detail}`).toBeLessThanOrEqual(1);
        spy.mockRestore();
      }),
      FC,
    );
  });

  it('pgdStep and mlpInputGradient: PGD-10 gives identical adversarial examples with and without the kernel', () => {
    const net = fc.sample(networkArb, { seed: 3, numRuns: 1 })[0]!;
    const attack = () => {
      const { x, weights } = upload(net);
      return pgd(mlpClassifier(weights), x, attackSpec('pgd'), new Rng(9));
    };
    const steps = spyCustom('pgdStep');
    const gradients = spyCustom('mlpInputGradient');
    const viaKernel = run(true, attack);
    expect(steps).toHaveBeenCalledTimes(10);
    expect(gradients).toHaveBeenCalledTimes(10);
    expectIdentical(viaKernel, run(false, attack), 'pgd');
    expect(steps).toHaveBeenCalledTimes(10);
  });

  it('pgdStep: short PGD runs with random eps and step sizes, identical with and without the kernel', () => {
    const arb = fc.tuple(networkArb, fc.double({ min: 0, max: 0.5, noNaN: true }), fc.double({ min: 1e-3, max: 0.5, noNaN: true }), fc.integer({ min: 1, max: 3 }));
    fc.assert(
      fc.property(arb, ([net, eps, step, iterations]) => {
        const attack = () => {
          const { x, weights } = upload(net);
          return pgd(mlpClassifier(weights), x, attackSpec('pgd', { eps, step, iterations }), new Rng(9));
        };
        const spy = spyCustom('pgdStep');
        const viaKernel = run(true, attack);
        expect(spy).toHaveBeenCalledTimes(iterations);
        expectIdentical(viaKernel, run(false, attack), 'pgd');
        spy.mockRestore();
      }),
      FC,
    );
  });

  it('mlpTrainingGradients: natural and adversarial training steps of random networks, identical with and without the kernel', () => {
    const arb = fc.tuple(networkArb, fc.boolean(), fc.integer({ min: 0, max: 2 ** 31 - 1 }));
    fc.assert(
      fc.property(arb, ([net, adversarial, seed]) => {
        const steps = (custom: boolean) => {
          return on(variant(subject, custom), () => {
            const { x, weights, targets } = upload(net);
            const masks = weights.map((w) => fromHost(new Rng(seed).uniformArray(w.size, 0, 1).map((u) => (u < 0.7 ? 1 : 0)), w.shape));
            const network = { spec: mlpClassifier(weights).spec, weights: weights.map((w) => keep(w)), masks: masks.map((m) => keep(m)) };
            const adam = new Adam();
            const xAdv = keep(op.clip(op.add(x, 0.1), 0, 1));
            const losses = [0, 1, 2].map(() => {
              const loss = trainStep(network, adam, x, targets, 0, adversarial ? xAdv : undefined);
              const value = loss.item();
              loss.dispose();
              return value;
            });
            const out = [Float32Array.from(losses), ...network.weights.map((w) => w.dataSync() as Float32Array)];
            disposeAll([network.weights, network.masks, xAdv, x, targets]);
            adam.reset();
            return out;
          });
        };
        const spy = spyCustom('mlpTrainingGradients');
        const viaKernel = steps(true);
        expect(spy).toHaveBeenCalledTimes(3);
        steps(false).forEach((want, i) => expectIdentical(viaKernel[i]!, want, i === 0 ? 'losses' : `layer ${i - 1} weights`));
        expect(spy).toHaveBeenCalledTimes(3);
        spy.mockRestore();
      }),
      { ...FC, numRuns: 25 },
    );
  });

  it('mlpTrainingGradients declines an L1 penalty (its composition has one more term)', () => {
    const net = fc.sample(networkArb, { seed: 5, numRuns: 1 })[0]!;
    const spy = spyCustom('mlpTrainingGradients');
    on(subject, () => tidy(() => {
      const { x, weights, targets } = upload(net);
      const network = { spec: mlpClassifier(weights).spec, weights: weights.map((w) => keep(w)), masks: weights.map((w) => keep(op.onesLike(w))) };
      const adam = new Adam();
      trainStep(network, adam, x, targets, 1e-3).dispose();
      disposeAll([network.weights, network.masks]);
      adam.reset();
    }));
    expect(spy).toHaveBeenCalledOnce();
    expect(spy).toHaveReturnedWith(undefined);
  });

  it('mlpTrainingGradients declines the clipped-probability loss, whose composition then runs', () => {
    const net = fc.sample(networkArb, { seed: 6, numRuns: 1 })[0]!;
    const spy = spyCustom('mlpTrainingGradients');
    const weightsAfter = (custom: boolean) => on(variant(subject, custom), () => tidy(() => {
      const { x, weights, targets } = upload(net);
      const network = { spec: mlpClassifier(weights).spec, weights: weights.map((w) => keep(w)), masks: weights.map((w) => keep(op.onesLike(w))) };
      const adam = new Adam();
      trainStep(network, adam, x, targets, 0, undefined, 'clipped_probabilities').dispose();
      const out = network.weights.map((w) => w.dataSync() as Float32Array);
      disposeAll([network.weights, network.masks]);
      adam.reset();
      return out;
    }));
    const declined = weightsAfter(true);
    expect(spy).toHaveBeenCalledOnce();
    expect(spy).toHaveReturnedWith(undefined);
    weightsAfter(false).forEach((want, i) => expectIdentical(declined[i]!, want, `layer ${i} weights`));
  });

  it('is not used while a gradient is recorded through its inputs (custom kernels have no VJP)', () => {
    const net = fc.sample(networkArb, { seed: 4, numRuns: 1 })[0]!;
    const spy = spyCustom('mlpInputGradient');
    const weightGradient = (backend: Backend) =>
      run(true, () => {
        const { x, weights, targets } = upload(net);
        const f = (...w: Tensor[]) => op.sum(op.mul(inputGradient(mlpClassifier(w), x, targets), x));
        return valueAndGrad(f)(...weights).grads[0]!;
      }, backend);
    const got = weightGradient(subject);
    expect(spy).not.toHaveBeenCalled();
    const { ratio, detail } = compare(got, weightGradient(reference), TOL.reduction);
    expect(ratio, detail).toBeLessThanOrEqual(1);
  });
});
