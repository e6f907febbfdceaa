/**
 * The native backend's fused kernels (backends/backend.ts, FusedAttrs) against the primitive compositions that
 * define them: run by the reference backend (which has no fused kernels), and by the native backend with fusion
 * switched off. Both must agree bit for bit, since the kernels evaluate the same float32 operations in order.
 * Each test also checks that the fused kernel was really used, so that a silent fallback cannot pass for it.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend, FusedKernels } from '../../../backends/backend.js';
import { fromHost, setActiveBackend, setFusion, tidy } from '../../../core/autodiff/engine.js';
import { valueAndGrad } from '../../../core/autodiff/grad.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Tensor } from '../../../core/autodiff/tensor.js';
import { attackSpec, signStep } from '../../../core/attacks/attack.js';
import { pgd } from '../../../core/attacks/pgd.js';
import { Adam } from '../../../core/nn/adam.js';
import { Rng } from '../../../core/nn/rng.js';
import { FC, expectIdentical, native, reference, shapeArb, suiteTitle, valuesArb } from './support.js';

const finite = fc.double({ min: -3, max: 3, noNaN: true }).map(Math.fround);
const withZeros = fc.oneof(finite, fc.constantFrom(0, -0));

function on<T>(backend: Backend, fn: () => T): T {
  setActiveBackend(backend);
  return tidy(fn);
}

/** Spy on one fused kernel of the native backend. */
const spyFused = (name: keyof FusedKernels<unknown>) => vi.spyOn(native.backend!.fused as Required<FusedKernels<unknown>>, name);

afterEach(() => {
  setFusion(true);
  vi.restoreAllMocks();
});

describe.skipIf(!native.backend)(suiteTitle('fused kernels equal their compositions'), () => {
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
        const run = (backend: Backend, fusion: boolean): Float32Array => {
          setFusion(fusion);
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
        const spy = spyFused('adam');
        const fused = run(native.backend!, true);
        expect(spy).toHaveBeenCalledTimes(3);
        expectIdentical(fused, run(reference, true), 'adam vs reference');
        expectIdentical(fused, run(native.backend!, false), 'adam vs native composition');
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
        const run = (backend: Backend, fusion: boolean) => {
          setFusion(fusion);
          return on(backend, () => signStep(fromHost(Float32Array.from(x), shape), fromHost(Float32Array.from(g), shape), scale, spec).dataSync());
        };
        const spy = spyFused('signStep');
        const fused = run(native.backend!, true);
        expect(spy).toHaveBeenCalledOnce();
        expectIdentical(fused, run(reference, true), 'signStep vs reference');
        expectIdentical(fused, run(native.backend!, false), 'signStep vs native composition');
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
    const run = (fusion: boolean) => {
      setFusion(fusion);
      return on(native.backend!, () => {
        const effective = layers.map(([i, o], k) => fromHost(weights[k]!, [i, o]));
        return pgd(effective, fromHost(x, [7, 20]), attackSpec('pgd'), new Rng(9)).dataSync();
      });
    };
    const spy = spyFused('pgdStep');
    const fused = run(true);
    expect(spy).toHaveBeenCalledTimes(10);
    expectIdentical(fused, run(false), 'pgd');
    expect(spy).toHaveBeenCalledTimes(10);
  });

  it('is not used while a gradient is recorded through its inputs (fused kernels have no VJP)', () => {
    const x = Float32Array.of(0.1, 0.5, 0.95, 0.3);
    const g = Float32Array.of(1, -1, 1, 0);
    const gradientOn = (backend: Backend) =>
      on(backend, () => {
        const f = (input: Tensor) => op.sum(op.mul(signStep(input, fromHost(g, [4]), 0.1, attackSpec('fgsm')), fromHost(x, [4])));
        return valueAndGrad(f)(fromHost(x, [4])).grads[0]!.dataSync();
      });
    const spy = spyFused('signStep');
    const got = gradientOn(native.backend!);
    expect(spy).not.toHaveBeenCalled();
    expectIdentical(got, gradientOn(reference), 'gradient through signStep');
    expect(Array.from(got)).toEqual([Math.fround(0.1), Math.fround(0.5), 0, Math.fround(0.3)]);
  });
});
