/**
 * Reference kernels against naive index-by-index oracles written here: reductions over every axes
 * combination, transpose, broadcastTo, where and binary ops with broadcasting, unary ops; plus the
 * backend contract (copies on read, handle counting, UnsupportedOpError on unknown primitives).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HostData } from '../../../core/autodiff/backend.js';
import { createReferenceBackend } from '../../../backends/reference/index.js';
import { bind, setActiveBackend } from '../../../core/autodiff/engine.js';
import * as op from '../../../core/autodiff/ops.js';
import type { Primitive } from '../../../core/autodiff/primitives.js';
import { UnsupportedOpError } from '../../../core/errors.js';
import {
  broadcastShape, broadcastSource, broadcastableTo, floatIn, permutation, range, shapeArb, size, strides, unravel, valuesFor,
} from '../../support/arbitraries.js';
import { mulberry32 } from '../../support/gradcheck.js';

const backend = createReferenceBackend('float32');
beforeAll(() => setActiveBackend(backend));

const randomValues = (n: number, seed: number): number[] => {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => Math.fround(4 * r() - 3)); // mostly negative: a 0-initialised max fails
};

/** Naive reduction: every input element folds into the output position with the reduced axes dropped. */
function naiveReduce(x: readonly number[], shape: readonly number[], axes: readonly number[], keepDims: boolean, kind: 'sum' | 'max') {
  const norm = axes.map((a) => (a < 0 ? a + shape.length : a));
  const outShape = shape.flatMap((d, i) => (norm.includes(i) ? (keepDims ? [1] : []) : [d]));
  const keptShape = shape.map((d, i) => (norm.includes(i) ? 1 : d));
  const out = new Array<number>(size(outShape)).fill(kind === 'sum' ? 0 : -Infinity);
  const st = strides(keptShape);
  x.forEach((v, flat) => {
    const at = unravel(flat, shape).reduce((acc, idx, i) => acc + (norm.includes(i) ? 0 : idx * st[i]!), 0);
    out[at] = kind === 'sum' ? out[at]! + v : Math.max(out[at]!, v);
  });
  return { outShape, out };
}

/** Every subset of 0..rank-1. */
const subsets = (rank: number): number[][] =>
  range(2 ** rank).map((bits) => range(rank).filter((i) => bits & (1 << i)));

describe('reductions', () => {
  const shape = [2, 3, 4, 5];
  const x = randomValues(size(shape), 3);
  for (const kind of ['sum', 'max'] as const) {
    it(`${kind} over every one of the 16 axes combinations of [2,3,4,5], keepDims both ways`, () => {
      for (const axes of subsets(4)) {
        for (const keepDims of [false, true]) {
          const t = op[kind](op.tensor(x, shape), axes, keepDims);
          const { outShape, out } = naiveReduce(x, shape, axes, keepDims, kind);
          expect(t.shape, `axes [${axes}]`).toEqual(outShape);
          const got = t.toArray();
          out.forEach((v, i) => expect(got[i], `axes [${axes}] keepDims ${keepDims} at ${i}`).toBeCloseTo(v, 4));
        }
      }
    });
  }

  it('random shapes up to rank 5, random (possibly negative, unsorted) axes', () => {
    const arb = shapeArb(0, 5, 4).chain((s) =>
      fc.tuple(fc.constant(s), fc.shuffledSubarray(range(s.length)), fc.boolean(), fc.constantFrom('sum' as const, 'max' as const), fc.nat()),
    );
    fc.assert(
      fc.property(arb, ([s, axes, keepDims, kind, seed]) => {
        const v = randomValues(size(s), seed);
        const negAxes = axes.map((a, i) => (i % 2 ? a - s.length : a));
        const t = op[kind](op.tensor(v, s), negAxes, keepDims);
        const { outShape, out } = naiveReduce(v, s, negAxes, keepDims, kind);
        expect(t.shape).toEqual(outShape);
        t.toArray().forEach((g, i) => expect(g).toBeCloseTo(out[i]!, 4));
      }),
      { seed: 1, numRuns: 100 },
    );
  });

  it('the float64 backend sums exactly what plain JS sums', () => {
    setActiveBackend(createReferenceBackend('float64'));
    const v = [0.1, 0.2, 0.3, 1e-17];
    expect(op.sum(op.tensor(Float64Array.from(v))).item()).toBe(0.1 + 0.2 + 0.3 + 1e-17);
    setActiveBackend(backend);
  });
});

describe('layout kernels', () => {
  it('transpose with random permutations up to rank 5', () => {
    const arb = shapeArb(1, 5, 4).chain((s) => fc.tuple(fc.constant(s), permutation(s.length), fc.nat()));
    fc.assert(
      fc.property(arb, ([s, perm, seed]) => {
        const v = randomValues(size(s), seed);
        const t = op.transpose(op.tensor(v, s), perm);
        const outShape = perm.map((p) => s[p]!);
        expect(t.shape).toEqual(outShape);
        const got = t.toArray();
        const inStrides = strides(s);
        got.forEach((g, flat) => {
          const outIdx = unravel(flat, outShape);
          expect(g).toBe(v[outIdx.reduce((acc, idx, i) => acc + idx * inStrides[perm[i]!]!, 0)]);
        });
      }),
      { seed: 1, numRuns: 100 },
    );
  });

  it('transpose with no permutation given reverses the axes', () => {
    expect(op.transpose(op.tensor([1, 2, 3, 4, 5, 6], [2, 3])).toArray()).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('broadcastTo from random broadcastable shapes', () => {
    const arb = shapeArb(0, 4).chain((out) => fc.tuple(fc.constant(out), broadcastableTo(out), fc.nat()));
    fc.assert(
      fc.property(arb, ([out, s, seed]) => {
        const v = randomValues(size(s), seed);
        const got = op.broadcastTo(op.tensor(v, s), out).toArray();
        got.forEach((g, flat) => expect(g).toBe(v[broadcastSource(unravel(flat, out), s)]));
      }),
      { seed: 1, numRuns: 100 },
    );
  });

  it('reshape keeps the row-major order, infers -1, keeps int32', () => {
    expect(op.reshape(op.tensor([1, 2, 3, 4, 5, 6], [2, 3]), [3, -1]).shape).toEqual([3, 2]);
    expect(op.reshape(op.tensor([1, 2, 3, 4, 5, 6], [2, 3]), [6]).toArray()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(op.reshape(op.tensor([1, 2], [2], 'int32'), [1, 2]).dtype).toBe('int32');
  });
});

describe('elementwise kernels with broadcasting', () => {
  const binaries = {
    add: (x: number, y: number) => x + y,
    sub: (x: number, y: number) => x - y,
    mul: (x: number, y: number) => x * y,
    div: (x: number, y: number) => x / y,
    maximum: Math.max,
    minimum: Math.min,
    greater: (x: number, y: number) => (x > y ? 1 : 0),
    greaterEqual: (x: number, y: number) => (x >= y ? 1 : 0),
    equal: (x: number, y: number) => (x === y ? 1 : 0),
  };
  // Small integers make ties and exact equalities frequent.
  const value = fc.integer({ min: -3, max: 3 }).map((i) => (i === 0 ? 0.5 : i));
  const pair = shapeArb(0, 4).chain((out) => fc.tuple(broadcastableTo(out), broadcastableTo(out)))
    .chain(([sa, sb]) => fc.tuple(fc.constant(sa), valuesFor(sa, value), fc.constant(sb), valuesFor(sb, value)));

  for (const [name, fn] of Object.entries(binaries)) {
    it(`${name}: both argument orders, every layout (same shape, scalar either side, broadcast)`, () => {
      fc.assert(
        fc.property(pair, ([sa, va, sb, vb]) => {
          const out = broadcastShape(sa, sb);
          const t = (op as unknown as Record<string, (a: unknown, b: unknown) => { shape: number[]; toArray(): number[] }>)[name]!(
            op.tensor(va, sa), op.tensor(vb, sb),
          );
          expect(t.shape).toEqual(out);
          t.toArray().forEach((g, flat) => {
            const idx = unravel(flat, out);
            expect(g).toBeCloseTo(Math.fround(fn(va[broadcastSource(idx, sa)]!, vb[broadcastSource(idx, sb)]!)), 6);
          });
        }),
        { seed: 1, numRuns: 60 },
      );
    });
  }

  it('where(cond, a, b) with three broadcasting shapes', () => {
    const arb = shapeArb(0, 4)
      .chain((out) => fc.tuple(fc.constant(out), broadcastableTo(out), broadcastableTo(out), broadcastableTo(out)))
      .chain(([out, sc, sa, sb]) =>
        fc.tuple(fc.constant([out, sc, sa, sb] as const), valuesFor(sc, fc.constantFrom(0, 1, -2)), valuesFor(sa), valuesFor(sb)),
      );
    fc.assert(
      fc.property(arb, ([[, sc, sa, sb], vc, va, vb]) => {
        const out = broadcastShape(broadcastShape(sc, sa), sb);
        const t = op.where(op.tensor(vc, sc), op.tensor(va, sa), op.tensor(vb, sb));
        expect(t.shape).toEqual(out);
        t.toArray().forEach((g, flat) => {
          const idx = unravel(flat, out);
          expect(g).toBe(vc[broadcastSource(idx, sc)] !== 0 ? va[broadcastSource(idx, sa)] : vb[broadcastSource(idx, sb)]);
        });
      }),
      { seed: 1, numRuns: 100 },
    );
  });

  it('unary kernels against Math', () => {
    fc.assert(
      fc.property(fc.array(floatIn(-5, 5), { minLength: 1, maxLength: 20 }), (v) => {
        const t = op.tensor(v);
        const close = (got: number[], f: (x: number) => number) => got.forEach((g, i) => expect(g).toBeCloseTo(Math.fround(f(v[i]!)), 5));
        close(op.neg(t).toArray(), (x) => -x);
        close(op.exp(t).toArray(), Math.exp);
        close(op.sign(t).toArray(), (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
        close(op.clip(t, -1.5, 0.25).toArray(), (x) => Math.min(0.25, Math.max(-1.5, x)));
        const pos = op.tensor(v.map((x) => Math.abs(x) + 0.5));
        close(op.log(pos).toArray().map((y) => Math.exp(y)), (x) => Math.abs(x) + 0.5);
        close(op.sqrt(pos).toArray().map((y) => y * y), (x) => Math.abs(x) + 0.5);
      }),
      { seed: 1, numRuns: 50 },
    );
  });
});

describe('backend contract', () => {
  it('read returns a copy: mutating it does not change the tensor', () => {
    const t = op.tensor([1, 2, 3]);
    const host = t.dataSync();
    host[0] = 99;
    expect(t.toArray()).toEqual([1, 2, 3]);
  });

  it('liveHandles counts uploads and kernel outputs, and falls back on dispose', () => {
    const before = backend.liveHandles();
    const a = op.tensor([1, 2]);
    const b = op.exp(a);
    expect(backend.liveHandles()).toBe(before + 2);
    a.dispose();
    b.dispose();
    expect(backend.liveHandles()).toBe(before);
  });

  it('an unknown primitive throws UnsupportedOpError naming op, dtype and backend (prototype names included)', () => {
    const x = op.tensor([1, 2]);
    const info = { handle: x.handle as HostData, shape: x.shape, dtype: x.dtype };
    for (const name of ['conv3d', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      let error: unknown;
      try {
        backend.run(name as Primitive, [info], {} as never, { shape: [2], dtype: 'float32' });
      } catch (e) {
        error = e;
      }
      expect(error, name).toBeInstanceOf(UnsupportedOpError);
      expect((error as UnsupportedOpError).op).toBe(name);
      expect((error as UnsupportedOpError).dtype).toBe('float32');
      expect((error as UnsupportedOpError).backend).toBe('reference');
    }
  });

  it('bind() with an unknown primitive throws UnsupportedOpError before any kernel runs', () => {
    const handles = backend.liveHandles();
    expect(() => bind('conv3d' as Primitive, [op.tensor([1])], {} as never)).toThrow(UnsupportedOpError);
    expect(() => bind('toString' as Primitive, [op.tensor([1])], {} as never)).toThrow(UnsupportedOpError);
    expect(backend.liveHandles()).toBe(handles + 2);
  });
});
