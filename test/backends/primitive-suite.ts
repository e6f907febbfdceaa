import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { Backend, HostData, TensorInfo } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, tidy } from '../../core/autodiff/engine.js';
import { valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import { PRIMITIVES } from '../../core/autodiff/primitives.js';
import { broadcastShapes, sizeOf } from '../../core/autodiff/shapes.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { Rng } from '../../core/nn/rng.js';
import { BINARY_OPS, primitiveCases, type Input, type PrimitiveCase } from './primitive-cases.js';
import { compare, on, oracle, TOL, type Tolerance } from './support.js';

/**
 * Every primitive of one backend against the reference (primitive-cases.ts), with every read through
 * `await Tensor.data()`: synchronous on the CPU backends, asynchronous on webgpu, so one suite serves them all.
 */

interface Outcome {
  forward: HostData;
  grads: HostData[];
}

/** Forward value and, when differentiable, the gradient of sum(out * w) w.r.t. every float input. */
async function evaluate(backend: Backend, c: PrimitiveCase, weights: Float32Array): Promise<Outcome> {
  const results = on(backend, () =>
    tidy(() => {
      const tensors = c.inputs.map((i) => fromHost(i.values, i.shape, i.dtype));
      const forward = c.apply(...tensors);
      if (!c.differentiable) return [forward];
      const floats = tensors.filter((t) => t.dtype === 'float32');
      const bind = (xs: Tensor[]): Tensor[] => { let k = 0; return tensors.map((t) => (t.dtype === 'float32' ? xs[k++]! : t)); };
      const { value, grads } = valueAndGrad((...xs: Tensor[]) => {
        const out = c.apply(...bind(xs));
        return op.sum(op.mul(out, fromHost(weights.subarray(0, out.size), out.shape)));
      })(...floats);
      return [forward, value, ...grads];
    }),
  );
  try {
    const [forward, ...grads] = await Promise.all(results.map((t) => t.data()));
    return { forward: forward!, grads };
  } finally {
    disposeAll(results);
  }
}

async function expectConform(backend: Backend, reference: Backend, c: PrimitiveCase, weights: Float32Array): Promise<void> {
  const got = await evaluate(backend, c, weights);
  const want = await evaluate(reference, c, weights);
  const check = (what: string, a: HostData, b: HostData, tol: Tolerance) => {
    const { ratio, detail } = compare(a, b, tol);
    expect(ratio, `${c.name}: ${what} differs (${detail}; rtol ${tol.rtol}, atol ${tol.atol})`).toBeLessThanOrEqual(1);
  };
  check('forward', got.forward, want.forward, c.tol);
  expect(got.forward.constructor, `${c.name}: dtype of the result`).toBe(want.forward.constructor);
  const gradTol = c.tol === TOL.exact ? TOL.reduction : c.tol;
  got.grads.forEach((g, i) => check(i === 0 ? 'weighted loss' : `gradient ${i}`, g, want.grads[i]!, gradTol));
}

/** Every primitive, forward and gradient, against the reference backend (the oracle). */
export function primitiveConformance(getBackend: () => Backend): void {
  const reference = oracle();
  const weights = new Rng(7).uniformArray(4096, -1, 1);
  const cases = primitiveCases();

  it('has a case for every primitive', () => {
    const covered = new Set(cases.map((c) => c.primitive));
    expect(PRIMITIVES.filter((p) => !covered.has(p))).toEqual([]);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => expectConform(getBackend(), reference, c, weights));

  it('binary ops on random broadcast shapes (fast-check, seeded)', async () => {
    const dim = fc.integer({ min: 1, max: 4 });
    const shapePair = fc.array(fc.tuple(dim, fc.boolean(), fc.boolean()), { minLength: 0, maxLength: 3 }).map((dims) => [
      dims.map(([d, keepA]) => (keepA ? d : 1)),
      dims.map(([d, , keepB]) => (keepB ? d : 1)).slice(dims.length > 1 ? 1 : 0),
    ] as const);
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...BINARY_OPS), shapePair, fc.integer({ min: 0, max: 2 ** 31 - 1 }), async ([primitive, apply, tol], [sa, sb], seed) => {
        broadcastShapes(sa, sb);
        const r = new Rng(seed);
        const input = (shape: readonly number[]): Input => ({
          values: Float32Array.from({ length: sizeOf(shape) }, () => (primitive === 'div' ? r.uniform(0.5, 2) : r.int(5) - 2)),
          shape, dtype: 'float32',
        });
        const c: PrimitiveCase = { primitive, name: `${primitive} [${sa}] [${sb}]`, inputs: [input(sa), input(sb)], apply, tol, differentiable: true };
        await expectConform(getBackend(), reference, c, weights);
      }),
      { seed: 1234, numRuns: 60 },
    );
  });

  it('uploads and reads back float32 (from Float32Array and Float64Array) and int32 exactly', async () => {
    const backend = getBackend();
    const read = (info: TensorInfo) => (backend.readAsync ? backend.readAsync(info) : Promise.resolve(backend.read(info)));
    const f32 = Float32Array.from([1.5, -0, 3e-45, 1e30, -2]);
    const f64 = Float64Array.from([0.1, 1 / 3, -7]);
    const i32 = Int32Array.from([0, -5, 2 ** 31 - 1]);
    const h1 = backend.upload(f32, [5], 'float32');
    const h2 = backend.upload(f64, [3], 'float32');
    const h3 = backend.upload(i32, [3], 'int32');
    const back = await read({ handle: h1, shape: [5], dtype: 'float32' });
    expect(Array.from(back).map((v) => Object.is(v, -0) ? '-0' : v)).toEqual(Array.from(f32).map((v) => Object.is(v, -0) ? '-0' : v));
    expect(Array.from(await read({ handle: h2, shape: [3], dtype: 'float32' }))).toEqual(Array.from(Float32Array.from(f64)));
    const ints = await read({ handle: h3, shape: [3], dtype: 'int32' });
    expect(ints).toBeInstanceOf(Int32Array);
    expect(Array.from(ints)).toEqual(Array.from(i32));
    [h1, h2, h3].forEach((h) => backend.dispose(h));
  });

  it('keeps equal scalar uploads independent: disposing one leaves the other readable', async () => {
    const backend = getBackend();
    const read = (info: TensorInfo) => (backend.readAsync ? backend.readAsync(info) : Promise.resolve(backend.read(info)));
    const before = backend.liveHandles();
    const a = backend.upload(Float32Array.of(0.25), [], 'float32');
    const b = backend.upload(Float32Array.of(0.25), [], 'float32');
    expect(backend.liveHandles()).toBe(before + 2);
    backend.dispose(a);
    expect(Array.from(await read({ handle: b, shape: [], dtype: 'float32' }))).toEqual([0.25]);
    backend.dispose(b);
    const negZero = backend.upload(Float32Array.of(-0), [], 'float32');
    expect(Object.is((await read({ handle: negZero, shape: [], dtype: 'float32' }))[0], -0)).toBe(true);
    backend.dispose(negZero);
    expect(backend.liveHandles()).toBe(before);
  });

  it('does not let a read alias backend memory', async () => {
    const backend = getBackend();
    const read = (info: TensorInfo) => (backend.readAsync ? backend.readAsync(info) : Promise.resolve(backend.read(info)));
    const h = backend.upload(Float32Array.of(1, 2, 3), [3], 'float32');
    const first = await read({ handle: h, shape: [3], dtype: 'float32' });
    first[0] = 99;
    expect(Array.from(await read({ handle: h, shape: [3], dtype: 'float32' }))).toEqual([1, 2, 3]);
    backend.dispose(h);
  });

  it('reads a handle disposed right after the read was asked for, and its buffer reused at once', async () => {
    const backend = getBackend();
    const read = (info: TensorInfo) => (backend.readAsync ? backend.readAsync(info) : Promise.resolve(backend.read(info)));
    const h = backend.upload(Float32Array.of(1, 2, 3), [3], 'float32');
    const pending = read({ handle: h, shape: [3], dtype: 'float32' });
    backend.dispose(h);
    const reuse = backend.upload(Float32Array.of(7, 8, 9), [3], 'float32');
    expect(Array.from(await pending)).toEqual([1, 2, 3]);
    expect(Array.from(await read({ handle: reuse, shape: [3], dtype: 'float32' }))).toEqual([7, 8, 9]);
    backend.dispose(reuse);
  });
}
