/**
 * The native backend's custom kernels (core/nn/custom-ops.ts) against the primitive compositions that define
 * them: run by the reference backend (which has no custom kernels), and by the native backend without them
 * (withoutCustomKernels). Both must agree bit for bit, since the kernels evaluate the same float32 operations in
 * order. Each test also checks that the kernel was really used, so that a silent fallback cannot pass for it.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { withoutCustomKernels, type Backend } from '../../../core/autodiff/backend.js';
import { fromHost, setActiveBackend, tidy } from '../../../core/autodiff/engine.js';
import { valueAndGrad } from '../../../core/autodiff/grad.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { attackSpec, signStep } from '../../../core/attacks/attack.js';
import { pgd, projectedStep } from '../../../core/attacks/pgd.js';
import { Adam } from '../../../core/nn/adam.js';
import { Rng } from '../../../core/nn/rng.js';
import { FC, expectIdentical, native, reference, shapeArb, suiteTitle, valuesArb, withoutAttackKernels } from './support.js';
import { mlpClassifier } from '../../support/classifier.js';

const finite = fc.double({ min: -3, max: 3, noNaN: true }).map(Math.fround);
const withZeros = fc.oneof(finite, fc.constantFrom(0, -0));

function on<T>(backend: Backend, fn: () => T): T {
  setActiveBackend(backend);
  return tidy(fn);
}

/** Spy on one custom kernel of the native backend. */
const spyCustom = (name: string) => vi.spyOn(native.backend!.custom as Record<string, (...args: never[]) => unknown>, name);

/** The backend itself, or the same backend running the compositions instead of its custom kernels. */
const variant = (backend: Backend, custom: boolean): Backend => (custom ? backend : withoutCustomKernels(backend));

afterEach(() => {
  vi.restoreAllMocks();
});

describe.skipIf(!native.backend)(suiteTitle('custom kernels equal their compositions'), () => {
  it('adam: three steps of Adam.apply, weights identical to the composition on reference and on native', () => {
    const arb = fc.tuple(
      shapeArb(1, 2, 40).chain((s) => fc.tuple(fc.constant(s), valuesArb(s, finite), fc.array(valuesArb(s, withZeros), { minLength: 3, maxLength: 3 }))),
      fc.record({
        learningRate: fc.double({ min: 1e-5, max: 1e-2, noNaN: true }),
        beta1: fc.double({ min: 0.5, max: 0.99, noNaN: true }),
        beta2: fc.double({ min: 0.9, max: 0.9999, noNaN: true }),
        epsilon: fc.double({ min: 1e-8, max: 1e-3, noNaN: true }),
      }),
    );
    fc.assert(
      fc.property(arb, ([[shape, w0, grads], config]) => {
        const run = (base: Backend, custom: boolean): Float32Array => {
          const backend = variant(base, custom);
          const adam = new Adam(config);
          let w = on(backend, () => fromHost(Float32Array.from(w0), shape));
          for (const g of grads) {
            const next = on(backend, () => adam.apply([w], [fromHost(Float32Array.from(g), shape)]))[0]!;
            w.dispose();
            w = next;
          }
          adam.reset();
          const values = w.dataSync() as Float32Array;
          w.dispose();
          return values;
        };
        const spy = spyCustom('adam');
        const viaKernel = run(native.backend!, true);
        expect(spy).toHaveBeenCalledTimes(3);
        expectIdentical(viaKernel, run(reference, true), 'adam vs reference');
        expectIdentical(viaKernel, run(native.backend!, false), 'adam vs native composition');
        expect(spy).toHaveBeenCalledTimes(3);
        spy.mockRestore();
      }),
      { ...FC, numRuns: 60 },
    );
  });

  it('signStep: clip(x + sign(g) * scale), zeros of g included', () => {
    const arb = shapeArb(1, 3, 30).chain((s) =>
      fc.tuple(fc.constant(s), valuesArb(s, fc.oneof(finite, fc.constantFrom(0, 1))), valuesArb(s, withZeros), fc.double({ min: 0, max: 1, noNaN: true })));
    fc.assert(
      fc.property(arb, ([shape, x, g, scale]) => {
        const spec = attackSpec('fgsm', { eps: scale });
        const run = (backend: Backend, custom: boolean) => {
          return on(variant(backend, custom), () => signStep(fromHost(Float32Array.from(x), shape), fromHost(Float32Array.from(g), shape), scale, spec).dataSync());
        };
        const spy = spyCustom('signStep');
        const viaKernel = run(native.backend!, true);
        expect(spy).toHaveBeenCalledOnce();
        expectIdentical(viaKernel, run(reference, true), 'signStep vs reference');
        expectIdentical(viaKernel, run(native.backend!, false), 'signStep vs native composition');
        spy.mockRestore();
      }),
      FC,
    );
  });

  it('pgdStep: one iteration, bounds of every kind (tiny, rounded, zero), identical to the composition', () => {
    const bound = fc.oneof(fc.constantFrom(0, 1, 0.3, 1e-50, -1e-50, 0.1, -0.2), fc.double({ min: -1, max: 1, noNaN: true }));
    const arb = shapeArb(1, 2, 30).chain((s) => fc.tuple(
      fc.constant(s), valuesArb(s, fc.oneof(finite, fc.constantFrom(0, -0, 1))), valuesArb(s, fc.oneof(finite, fc.constantFrom(0, -0))),
      valuesArb(s, withZeros), fc.tuple(bound, bound).filter(([a, b]) => a < b),
      fc.oneof(fc.constantFrom(0.3, 1e-50, 0), fc.double({ min: 0, max: 1, noNaN: true })), fc.double({ min: 1e-3, max: 1, noNaN: true }),
    ));
    fc.assert(
      fc.property(arb, ([shape, x, current, g, [clipMin, clipMax], eps, step]) => {
        const spec = attackSpec('pgd', { eps, step, clipMin, clipMax });
        const run = (backend: Backend, custom: boolean) => on(variant(backend, custom), () => {
          const t = (v: readonly number[]) => fromHost(Float32Array.from(v), shape);
          return projectedStep(t(x), t(current), t(g), spec).dataSync();
        });
        const spy = spyCustom('pgdStep');
        const viaKernel = run(native.backend!, true);
        expect(spy).toHaveBeenCalledOnce();
        expectIdentical(viaKernel, run(reference, true), 'pgdStep vs reference');
        expectIdentical(viaKernel, run(native.backend!, false), 'pgdStep vs native composition');
        spy.mockRestore();
      }),
      FC,
    );
  });

  it('pgdStep: PGD-10 with and without fusion gives identical adversarial examples', () => {
    const rng = new Rng(5);
    const layers = [[20, 16], [16, 10]] as const;
    const weights = layers.map(([i, o]) => rng.uniformArray(i * o, -0.5, 0.5));
    const x = rng.uniformArray(7 * 20, 0, 1);
    const run = (custom: boolean) => {
      return on(custom ? withoutAttackKernels(native.backend!) : withoutCustomKernels(native.backend!), () => {
        const effective = layers.map(([i, o], k) => fromHost(weights[k]!, [i, o]));
        return pgd(mlpClassifier(effective), fromHost(x, [7, 20]), attackSpec('pgd'), new Rng(9)).dataSync();
      });
    };
    const spy = spyCustom('pgdStep');
    const viaKernel = run(true);
    expect(spy).toHaveBeenCalledTimes(10);
    expectIdentical(viaKernel, run(false), 'pgd');
    expect(spy).toHaveBeenCalledTimes(10);
  });

  it('is not used while a gradient is recorded through its inputs (custom kernels have no VJP)', () => {
    const x = Float32Array.of(0.1, 0.5, 0.95, 0.3);
    const g = Float32Array.of(1, -1, 1, 0);
    const gradientOn = (backend: Backend) =>
      on(backend, () => {
        const f = (input: Tensor) => op.sum(op.mul(signStep(input, fromHost(g, [4]), 0.1, attackSpec('fgsm')), fromHost(x, [4])));
        return valueAndGrad(f)(fromHost(x, [4])).grads[0]!.dataSync();
      });
    const spy = spyCustom('signStep');
    const got = gradientOn(native.backend!);
    expect(spy).not.toHaveBeenCalled();
    expectIdentical(got, gradientOn(reference), 'gradient through signStep');
    expect(Array.from(got)).toEqual([Math.fround(0.1), Math.fround(0.5), 0, Math.fround(0.3)]);
  });
});
