import type { Primitive } from '../../core/autodiff/primitives.js';
import { matmulBatches, sizeOf } from '../../core/autodiff/shapes.js';
import { UnsupportedOpError } from '../../core/errors.js';
import { optionalPrimitivesOf, type Backend, type HostData, type Kernel, type KernelTable, type TensorInfo } from '../../core/autodiff/backend.js';
import { HOST_KERNELS, type FloatValues, type HostKernel } from '../../core/autodiff/host-kernels/index.js';
import type { OptionalPrimitive } from '../../core/autodiff/primitives.js';
import { binaryKernel, broadcastIndices, unaryKernel, type FloatCtor, type FloatData } from './elementwise.js';
import { argmax, broadcastTo, reduce, transpose } from './layout.js';
import { matmul } from './matmul.js';

export type Precision = 'float32' | 'float64';

/**
 * The reference backend: plain TypeScript on typed arrays, the specification every other backend is tested
 * against. Handles are the arrays themselves. `float64` storage exists only to serve as a finite-difference oracle.
 */
export function createReferenceBackend(precision: Precision = 'float32'): Backend<HostData> {
  const F: FloatCtor = precision === 'float64' ? Float64Array : Float32Array;
  const name = precision === 'float64' ? 'reference-f64' : 'reference';
  let live = 0;
  const alloc = <T extends HostData>(x: T): T => {
    live++;
    return x;
  };
  const f = (t: TensorInfo<HostData>): FloatData => t.handle as FloatData;

  const binary = (expr: string) => {
    const kernel = binaryKernel(expr);
    return ([a, b]: readonly TensorInfo<HostData>[], _: unknown, out: { shape: readonly number[] }) =>
      kernel(F, f(a!), a!.shape, f(b!), b!.shape, out.shape);
  };
  const unary = (expr: string) => {
    const kernel = unaryKernel(expr);
    return ([x]: readonly TensorInfo<HostData>[]) => kernel(F, f(x!));
  };

  /** The optional primitives run their host kernels (core/autodiff/host-kernels), the specification of each. */
  const host = <P extends OptionalPrimitive>(primitive: P): Kernel<P, HostData> => (inputs, attrs, out) =>
    (HOST_KERNELS[primitive] as unknown as HostKernel<P>)(inputs.map((t) => ({ values: t.handle as FloatValues, shape: t.shape })), attrs, out.shape);

  const kernels: KernelTable<HostData> = {
    add: binary('x + y'),
    sub: binary('x - y'),
    mul: binary('x * y'),
    div: binary('x / y'),
    maximum: binary('x > y || x !== x ? x : y'),
    minimum: binary('x < y || x !== x ? x : y'),
    greater: binary('x > y ? 1 : 0'),
    greaterEqual: binary('x >= y ? 1 : 0'),
    equal: binary('x === y ? 1 : 0'),
    where: ([c, a, b], _, out) => {
      const n = sizeOf(out.shape);
      const result = new F(n);
      const [ic, ia, ib] = broadcastIndices([c!.shape, a!.shape, b!.shape], out.shape);
      const [cv, av, bv] = [f(c!), f(a!), f(b!)];
      for (let i = 0; i < n; i++) result[i] = cv[ic![i]!] !== 0 ? av[ia![i]!]! : bv[ib![i]!]!;
      return result;
    },
    neg: unary('-x'),
    exp: unary('Math.exp(x)'),
    log: unary('Math.log(x)'),
    sqrt: unary('Math.sqrt(x)'),
    sign: unary('x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN'),
    clip: ([x], { min, max }) => {
      const v = f(x!);
      const out = new F(v.length);
      for (let i = 0; i < v.length; i++) out[i] = v[i]! < min ? min : v[i]! > max ? max : v[i]!;
      return out;
    },
    matmul: ([a, b], { transposeA, transposeB }, out) => {
      const rank = a!.shape.length;
      const k = transposeA ? a!.shape[rank - 2]! : a!.shape[rank - 1]!;
      const [m, n] = [out.shape[out.shape.length - 2]!, out.shape[out.shape.length - 1]!];
      if (a!.shape.length === 2 && b!.shape.length === 2) return matmul(F, f(a!), f(b!), m, k, n, transposeA, transposeB);
      // One product per output matrix, each exactly the rank-2 product of its two slices.
      const batches = matmulBatches(a!.shape, b!.shape);
      const result = new F(batches.count * m * n);
      const [sizeA, sizeB] = [m * k, k * n];
      for (let t = 0; t < batches.count; t++) {
        const sliceA = f(a!).subarray(batches.a[t]! * sizeA, (batches.a[t]! + 1) * sizeA);
        const sliceB = f(b!).subarray(batches.b[t]! * sizeB, (batches.b[t]! + 1) * sizeB);
        result.set(matmul(F, sliceA, sliceB, m, k, n, transposeA, transposeB), t * m * n);
      }
      return result;
    },
    sum: ([x], { axes }, out) => reduce(f(x!), x!.shape, axes, 0, (acc, v) => acc + v, new F(sizeOf(out.shape))),
    max: ([x], { axes }, out) =>
      reduce(f(x!), x!.shape, axes, -Infinity, (acc, v) => (v > acc || Number.isNaN(v) ? v : acc), new F(sizeOf(out.shape))),
    reshape: ([x]) => x!.handle.slice(),
    transpose: ([x], { perm }) => transpose(x!.handle, x!.shape, perm),
    broadcastTo: ([x], _, out) => broadcastTo(x!.handle, x!.shape, out.shape),
    argmax: ([x], { axis }) => argmax(x!.handle, x!.shape, axis),
    oneHot: ([x], { depth }) => {
      const labels = x!.handle;
      const result = new F(labels.length * depth);
      for (let i = 0; i < labels.length; i++) {
        const label = labels[i]!;
        if (label >= 0 && label < depth) result[i * depth + label] = 1;
      }
      return result;
    },
    conv2d: host('conv2d'),
    conv2dInputGrad: host('conv2dInputGrad'),
    conv2dFilterGrad: host('conv2dFilterGrad'),
    maxPool: host('maxPool'),
    maxPoolGrad: host('maxPoolGrad'),
  };

  return {
    name,
    upload(values, _shape, dtype) {
      return alloc(dtype === 'int32' ? Int32Array.from(values) : F.from(values));
    },
    read(info) {
      return info.dtype === 'int32' ? (info.handle as Int32Array).slice() : F.from(info.handle);
    },
    dispose() {
      live--;
    },
    liveHandles: () => live,
    optionalPrimitives: optionalPrimitivesOf(kernels),
    run(primitive, inputs, attrs, out) {
      // Own properties only: 'toString' or 'constructor' must not reach Object.prototype.
      const kernel = Object.hasOwn(kernels, primitive) ? (kernels[primitive] as Kernel<Primitive, HostData>) : undefined;
      if (!kernel) throw new UnsupportedOpError(primitive, inputs[0]?.dtype ?? 'none', name);
      return alloc(kernel(inputs, attrs, out));
    },
  };
}
