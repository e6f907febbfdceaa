/**
 * The optional primitives of convolutional networks (conv2d and its two gradients, maxPool and its gradient):
 * forward values against a direct transcription of the definitions in plain JS, identities with matmul, the
 * gradients against float64 central differences, the tie convention of maxPool's gradient, and the host
 * fallback for a backend that has no kernels of its own.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { withoutOptionalPrimitives, type Backend, type HostData } from '../../core/autodiff/backend.js';
import { setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import { grad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { ConvPadding } from '../../core/autodiff/primitives.js';
import { ShapeError } from '../../core/errors.js';
import { expectAllClose } from '../support/allclose.js';
import { inputArb } from '../support/arbitraries.js';
import { expectGradientsMatch } from '../support/gradcheck.js';

const RUNS = { seed: 7, numRuns: 20 };
const rSeed = fc.integer({ min: 0, max: 2 ** 31 - 1 });
const reference = createReferenceBackend('float32');
beforeAll(() => setActiveBackend(reference));

/** y[n,oy,ox,co] = sum x[n, oy+ky-top, ox+kx-left, ci] w[ky,kx,ci,co], zero outside x: the definition, term by term. */
function directConv(x: number[], xs: number[], w: number[], ws: number[], padding: ConvPadding): number[] {
  const [n, h, wd, c] = xs as [number, number, number, number];
  const [kh, kw, , co] = ws as [number, number, number, number];
  const top = padding === 'same' ? Math.floor((kh - 1) / 2) : 0;
  const left = padding === 'same' ? Math.floor((kw - 1) / 2) : 0;
  const [oh, ow] = padding === 'same' ? [h, wd] : [h - kh + 1, wd - kw + 1];
  const out: number[] = [];
  for (let b = 0; b < n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let o = 0; o < co; o++) {
    let s = 0;
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) for (let i = 0; i < c; i++) {
      const [iy, ix] = [oy + ky - top, ox + kx - left];
      if (iy >= 0 && iy < h && ix >= 0 && ix < wd) s += x[((b * h + iy) * wd + ix) * c + i]! * w[((ky * kw + kx) * c + i) * co + o]!;
    }
    out.push(s);
  }
  return out;
}

/** A convolution case: x [n, h, w, c_in], filter [kh, kw, c_in, c_out] that fits x under the padding. */
const convCase = fc
  .record({
    n: fc.integer({ min: 1, max: 2 }), h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }),
    kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
    cIn: fc.integer({ min: 1, max: 3 }), cOut: fc.integer({ min: 1, max: 3 }), padding: fc.constantFrom<ConvPadding>('same', 'valid'),
  })
  .filter((c) => c.padding === 'same' || (c.kh <= c.h && c.kw <= c.w))
  .chain((c) => fc.tuple(fc.constant(c), inputArb([c.n, c.h, c.w, c.cIn]), inputArb([c.kh, c.kw, c.cIn, c.cOut])));

describe('conv2d', () => {
  it('computes the definition, term by term, for both paddings (even and odd filter sizes)', () => {
    fc.assert(fc.property(convCase, ([c, x, w]) => {
      const y = tidy(() => op.conv2d(op.tensor(Float32Array.from(x.values), x.shape), op.tensor(Float32Array.from(w.values), w.shape), c.padding));
      const expected = directConv(x.values.map(Math.fround), [...x.shape], w.values.map(Math.fround), [...w.shape], c.padding);
      expectAllClose(y.toArray(), expected, 1e-5, 1e-5);
      const [oh, ow] = c.padding === 'same' ? [c.h, c.w] : [c.h - c.kh + 1, c.w - c.kw + 1];
      expect(y.shape).toEqual([c.n, oh, ow, c.cOut]);
    }), RUNS);
  });

  it('a 1x1 filter is a matrix product over channels, and a filter as large as the image is a dense layer', () => {
    const x = op.tensor(Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => Math.sin(i)), [2, 3, 4, 5]);
    const w1 = op.tensor(Float32Array.from({ length: 5 * 6 }, (_, i) => Math.cos(i)), [1, 1, 5, 6]);
    const viaMatmul = op.reshape(op.matmul(op.reshape(x, [24, 5]), op.reshape(w1, [5, 6])), [2, 3, 4, 6]);
    expectAllClose(op.conv2d(x, w1, 'valid').toArray(), viaMatmul.toArray(), 1e-6, 1e-6);
    expectAllClose(op.conv2d(x, w1, 'same').toArray(), viaMatmul.toArray(), 1e-6, 1e-6);
    const wFull = op.tensor(Float32Array.from({ length: 3 * 4 * 5 * 7 }, (_, i) => Math.cos(3 * i)), [3, 4, 5, 7]);
    const dense = op.matmul(op.reshape(x, [2, 60]), op.reshape(wFull, [60, 7]));
    expectAllClose(op.reshape(op.conv2d(x, wFull, 'valid'), [2, 7]).toArray(), dense.toArray(), 1e-5, 1e-5);
  });

  it('gradients with respect to x and the filter match float64 finite differences', () => {
    fc.assert(fc.property(convCase, rSeed, ([c, x, w], seed) =>
      expectGradientsMatch((a, b) => op.conv2d(a, b, c.padding), [x, w], seed)), RUNS);
  });

  it('refuses shapes that do not fit, naming them', () => {
    const x = op.zeros([1, 4, 4, 2]);
    expect(() => op.conv2d(x, op.zeros([3, 3, 3, 1]), 'same')).toThrow(/2 channels but the filter \[3,3,3,1\] takes 3/);
    expect(() => op.conv2d(x, op.zeros([5, 5, 2, 1]), 'valid')).toThrow(ShapeError);
    expect(() => op.conv2d(op.zeros([4, 4, 2]), op.zeros([3, 3, 2, 1]), 'same')).toThrow(/takes x \[n, h, w, c\]/);
  });
});

/** A pooling case: x [n, h, w, c] with h, w >= size (and not always multiples of it). */
const poolShape = fc
  .record({ n: fc.integer({ min: 1, max: 2 }), size: fc.integer({ min: 1, max: 3 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }), c: fc.integer({ min: 1, max: 3 }) })
  .filter((p) => p.h >= p.size && p.w >= p.size);
const poolCase = poolShape.chain((p) => fc.tuple(fc.constant(p), inputArb([p.n, p.h, p.w, p.c])));
/** Distinct values 0.05 apart (a shuffled grid): no window maximum within reach of a finite-difference step. */
const distinctPoolCase = poolShape.chain((p) => {
  const count = p.n * p.h * p.w * p.c;
  const grid = Array.from({ length: count }, (_, k) => Math.fround(0.05 * k - 1));
  return fc.tuple(fc.constant(p), fc.shuffledSubarray(grid, { minLength: count, maxLength: count }).map((values) => ({ values, shape: [p.n, p.h, p.w, p.c] })));
});

describe('maxPool', () => {
  it('takes each window maximum (direct definition), dropping the rows and columns past the last whole window', () => {
    fc.assert(fc.property(poolCase, ([p, x]) => {
      const values = x.values.map(Math.fround);
      const [oh, ow] = [Math.floor(p.h / p.size), Math.floor(p.w / p.size)];
      const expected: number[] = [];
      for (let b = 0; b < p.n; b++) for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) for (let ch = 0; ch < p.c; ch++) {
        let m = -Infinity;
        for (let dy = 0; dy < p.size; dy++) for (let dx = 0; dx < p.size; dx++) {
          const v = values[((b * p.h + oy * p.size + dy) * p.w + ox * p.size + dx) * p.c + ch]!;
          if (v > m) m = v; // the first of equal values (0 and -0) carries the window
        }
        expected.push(m);
      }
      const y = tidy(() => op.maxPool(op.tensor(Float32Array.from(values), x.shape), p.size));
      expect(y.shape).toEqual([p.n, oh, ow, p.c]);
      expect(y.toArray()).toEqual(expected);
    }), RUNS);
  });

  it('its gradient matches float64 finite differences (distinct values)', () => {
    fc.assert(fc.property(distinctPoolCase, rSeed, ([p, x], seed) => expectGradientsMatch((t) => op.maxPool(t, p.size), [x], seed)), RUNS);
  });

  it('sends a tied window gradient to its first maximum only (row-major), and nothing to cells outside whole windows', () => {
    // One 3x3 image, window 2: the window [[5, 1], [5, 5]] ties three ways; row 2 and column 2 are outside.
    const x = op.tensor(Float32Array.of(5, 1, 9, 5, 5, 9, 9, 9, 9), [1, 3, 3, 1]);
    const g = grad((t: typeof x) => op.sum(op.mul(op.maxPool(t, 2), 3)))(x);
    expect(g.toArray()).toEqual([3, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('a window holding NaN gives NaN', () => {
    const y = op.maxPool(op.tensor(Float32Array.of(1, NaN, 2, 3), [1, 2, 2, 1]), 2);
    expect(y.toArray()).toEqual([NaN]);
  });
});

describe('a backend without kernels of the optional primitives', () => {
  /** The reference backend minus its optional kernels, counting the primitives it is asked to run. */
  function countingFallback(): { backend: Backend<HostData>; asked: Set<string> } {
    const inner = withoutOptionalPrimitives(createReferenceBackend('float32'));
    const asked = new Set<string>();
    return { asked, backend: { ...inner, run: (p, i, a, o) => (asked.add(p), inner.run(p, i, a, o)) } };
  }

  it('gets every value and gradient from the host kernels, never asked to run them itself', () => {
    const { backend, asked } = countingFallback();
    const x = Float32Array.from({ length: 2 * 6 * 6 * 2 }, (_, i) => Math.sin(1.7 * i));
    const w = Float32Array.from({ length: 3 * 3 * 2 * 4 }, (_, i) => Math.cos(0.3 * i));
    const lossGrads = () => {
      const f = (a: ReturnType<typeof op.zeros>, b: ReturnType<typeof op.zeros>) => op.sum(op.square(op.maxPool(op.relu(op.conv2d(a, b, 'same')), 2)));
      const [xt, wt] = [op.tensor(x, [2, 6, 6, 2]), op.tensor(w, [3, 3, 2, 4])];
      return [f(xt, wt), grad((a: typeof xt) => f(a, wt))(xt), grad((b: typeof wt) => f(xt, b))(wt)].map((t) => t.toArray());
    };
    const expected = tidy(lossGrads);
    setActiveBackend(backend);
    try {
      expect(tidy(lossGrads)).toEqual(expected);
    } finally {
      setActiveBackend(reference);
    }
    expect([...asked].filter((p) => /conv|Pool/.test(p))).toEqual([]);
    expect(asked.has('matmul') || asked.has('mul')).toBe(true);
  });
});
