/**
 * Every primitive of one backend against the reference (primitive-cases.ts), with every read through
 * `await Tensor.data()`: synchronous on the CPU backends, asynchronous on webgpu, so one list serves them all.
 */
import type { Backend, HostData, TensorInfo } from '../../core/autodiff/backend.js';
import { disposeAll, fromHost, tidy } from '../../core/autodiff/engine.js';
import { valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import { PRIMITIVES } from '../../core/autodiff/primitives.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { Rng } from '../../core/nn/rng.js';
import { check, checkClose, checkSame, on, type ConformanceCase } from './case.js';
import { primitiveCases, type PrimitiveCase } from './primitive-cases.js';
import { TOL } from './tolerance.js';

interface Outcome {
  forward: HostData;
  grads: HostData[];
}

/** Weights of the scalar loss sum(out * w) whose gradients the checks compare. */
export const lossWeights = (): Float32Array => new Rng(7).uniformArray(4096, -1, 1);

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

/** One primitive case on `backend` against `reference`: forward, its dtype, the weighted loss and every gradient. */
export async function conformPrimitive(backend: Backend, reference: Backend, c: PrimitiveCase, weights: Float32Array): Promise<void> {
  const got = await evaluate(backend, c, weights);
  const want = await evaluate(reference, c, weights);
  checkClose(`${c.name}: forward`, got.forward, want.forward, c.tol);
  check(got.forward.constructor === want.forward.constructor,
    `${c.name}: dtype of the result is ${got.forward.constructor.name}, the reference's ${want.forward.constructor.name}`);
  const gradTol = c.tol === TOL.exact ? TOL.reduction : c.tol;
  got.grads.forEach((g, i) => checkClose(`${c.name}: ${i === 0 ? 'weighted loss' : `gradient ${i}`}`, g, want.grads[i]!, gradTol));
}

const readOf = (backend: Backend) => (info: TensorInfo): Promise<HostData> =>
  (backend.readAsync ? backend.readAsync(info) : Promise.resolve(backend.read(info)));

/** Uploads, reads and disposal: the parts of the contract below the primitives. */
function memoryCases(): ConformanceCase[] {
  const group = 'primitives';
  return [
    {
      group, name: 'uploads and reads back float32 (from Float32Array and Float64Array) and int32 exactly',
      run: async ({ backend }) => {
        const read = readOf(backend);
        const f32 = Float32Array.from([1.5, -0, 3e-45, 1e30, -2]);
        const f64 = Float64Array.from([0.1, 1 / 3, -7]);
        const i32 = Int32Array.from([0, -5, 2 ** 31 - 1]);
        const h1 = backend.upload(f32, [5], 'float32');
        const h2 = backend.upload(f64, [3], 'float32');
        const h3 = backend.upload(i32, [3], 'int32');
        checkSame('float32 read back', await read({ handle: h1, shape: [5], dtype: 'float32' }), f32);
        checkSame('float64 uploaded as float32, read back', await read({ handle: h2, shape: [3], dtype: 'float32' }), Float32Array.from(f64));
        const ints = await read({ handle: h3, shape: [3], dtype: 'int32' });
        check(ints instanceof Int32Array, `int32 read back as ${ints.constructor.name}, not Int32Array`);
        checkSame('int32 read back', ints, i32);
        [h1, h2, h3].forEach((h) => backend.dispose(h));
      },
    },
    {
      group, name: 'keeps equal scalar uploads independent: disposing one leaves the other readable',
      run: async ({ backend }) => {
        const read = readOf(backend);
        const before = backend.liveHandles();
        const a = backend.upload(Float32Array.of(0.25), [], 'float32');
        const b = backend.upload(Float32Array.of(0.25), [], 'float32');
        check(backend.liveHandles() === before + 2, `two uploads made ${backend.liveHandles() - before} live handles, not 2`);
        backend.dispose(a);
        checkSame('the other scalar', await read({ handle: b, shape: [], dtype: 'float32' }), [0.25]);
        backend.dispose(b);
        const negZero = backend.upload(Float32Array.of(-0), [], 'float32');
        checkSame('an uploaded -0', await read({ handle: negZero, shape: [], dtype: 'float32' }), [-0]);
        backend.dispose(negZero);
        check(backend.liveHandles() === before, `live handles ${backend.liveHandles()} after disposing all, ${before} before`);
      },
    },
    {
      group, name: 'does not let a read alias backend memory',
      run: async ({ backend }) => {
        const read = readOf(backend);
        const h = backend.upload(Float32Array.of(1, 2, 3), [3], 'float32');
        const first = await read({ handle: h, shape: [3], dtype: 'float32' });
        first[0] = 99;
        checkSame('a second read after writing into the first', await read({ handle: h, shape: [3], dtype: 'float32' }), [1, 2, 3]);
        backend.dispose(h);
      },
    },
    {
      group, name: 'reads a handle disposed right after the read was asked for, and its buffer reused at once',
      run: async ({ backend }) => {
        const read = readOf(backend);
        const h = backend.upload(Float32Array.of(1, 2, 3), [3], 'float32');
        const pending = read({ handle: h, shape: [3], dtype: 'float32' });
        backend.dispose(h);
        const reuse = backend.upload(Float32Array.of(7, 8, 9), [3], 'float32');
        checkSame('the disposed handle\'s read', await pending, [1, 2, 3]);
        checkSame('the new upload', await read({ handle: reuse, shape: [3], dtype: 'float32' }), [7, 8, 9]);
        backend.dispose(reuse);
      },
    },
  ];
}

/** Every primitive, forward and gradient, against the reference backend (the oracle), and the memory contract. */
export function primitiveChecks(): ConformanceCase[] {
  const weights = lossWeights();
  const cases = primitiveCases();
  const group = 'primitives';
  return [
    {
      group, name: 'has a case for every primitive',
      run: async () => {
        const covered = new Set(cases.map((c) => c.primitive));
        const missing = PRIMITIVES.filter((p) => !covered.has(p));
        check(missing.length === 0, `no case for ${missing.join(', ')}: add one to backends/conformance/primitive-cases.ts`);
      },
    },
    ...cases.map((c): ConformanceCase => ({ group, name: c.name, run: ({ backend, reference }) => conformPrimitive(backend, reference, c, weights) })),
    ...memoryCases(),
  ];
}
