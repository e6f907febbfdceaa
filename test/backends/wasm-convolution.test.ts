/**
 * The optional primitives on wasm (backends/tfjs/convolution.ts) beyond the conformance suite's small cases:
 * which ones the backend runs itself, LeNet-5's layer shapes against the reference within float32's worst-case
 * summation error, maxPool bit for bit on NaN, signed zeros and infinities, no tfjs tensor left behind, and
 * why maxPoolGrad stays with the host kernel (tfjs-wasm's own MaxPoolGrad disagrees with the reference).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { TfjsBackend } from '../../backends/tfjs/adapter.js';
import { disposeAll, fromHost, tidy } from '../../core/autodiff/engine.js';
import * as op from '../../core/autodiff/ops.js';
import type { ConvPadding, Shape } from '../../core/autodiff/primitives.js';
import { sizeOf } from '../../core/autodiff/shapes.js';
import { Rng } from '../../core/nn/rng.js';
import { useBackend } from '../support/backend.js';
import { expectWithinSummationError, runOn, specialImage, type HostInput } from './convolution-checks.js';
import { compare, expectIdentical, on, oracle, TOL } from './support.js';

let wasm: TfjsBackend;
const reference = oracle();
const rng = new Rng(1618);
const random = (shape: Shape): HostInput => ({ values: rng.uniformArray(sizeOf(shape), -2, 2), shape });

beforeAll(async () => {
  wasm = (await useBackend('wasm')) as TfjsBackend;
});

it('runs conv2d, both its gradients and maxPool itself, and leaves maxPoolGrad to the host kernel', () => {
  expect([...wasm.optionalPrimitives!].sort()).toEqual(['conv2d', 'conv2dFilterGrad', 'conv2dInputGrad', 'maxPool']);
});

const lenetLayers: [string, Shape, Shape, ConvPadding][] = [
  ["LeNet-5's first layer, batch 8", [8, 28, 28, 1], [5, 5, 1, 6], 'same'],
  ["LeNet-5's second layer, batch 8", [8, 14, 14, 6], [5, 5, 6, 16], 'valid'],
  ['an even filter, same padding (one more row and column after)', [3, 9, 10, 4], [4, 2, 4, 3], 'same'],
];

describe.each(lenetLayers)('%s', (_, xs, ws, padding) => {
  const [n, h, w, cIn] = xs as [number, number, number, number];
  const [kh, kw, , cOut] = ws as [number, number, number, number];
  const [oh, ow] = padding === 'same' ? [h, w] : [h - kh + 1, w - kw + 1];
  const [x, filter, dy] = [random(xs), random(ws), random([n, oh, ow, cOut])];
  const within = (inputs: HostInput[], terms: number, fn: Parameters<typeof runOn>[2]) => expectWithinSummationError(wasm, reference, inputs, terms, fn);

  it('conv2d', () => within([x, filter], kh * kw * cIn, (a, b) => op.conv2d(a!, b!, padding)));
  it('conv2dInputGrad', () => within([dy, filter], kh * kw * cOut, (g, b) => op.conv2dInputGrad(g!, b!, padding, xs)));
  it('conv2dFilterGrad', () => within([x, dy], n * oh * ow, (a, g) => op.conv2dFilterGrad(a!, g!, padding, ws)));
});

it.each([2, 3])('maxPool of size %i agrees bit for bit on NaN, signed zeros and infinities, and so does its gradient', async (size) => {
  const x = specialImage(rng, [3, 7, 8, 3]);
  const dy = random([3, Math.floor(7 / size), Math.floor(8 / size), 3]);
  expectIdentical(await runOn(wasm, [x], (t) => op.maxPool(t!, size)), await runOn(reference, [x], (t) => op.maxPool(t!, size)), 'maxPool');
  const routed = (t: ReturnType<typeof op.zeros>, g: ReturnType<typeof op.zeros>) => op.maxPoolGrad(t, g, size);
  expectIdentical(await runOn(wasm, [x, dy], routed), await runOn(reference, [x, dy], routed), 'maxPoolGrad');
});

it('leaves no tfjs tensor behind: the compositions free their temporaries', () => {
  const [x, filter, dy] = [random([2, 6, 6, 3]), random([3, 3, 3, 2]), random([2, 6, 6, 2])];
  on(wasm, () => {
    const before = wasm.engineTensors();
    const live = wasm.liveHandles();
    tidy(() => {
      const [xt, ft, dyt] = [fromHost(x.values, x.shape), fromHost(filter.values, filter.shape), fromHost(dy.values, dy.shape)];
      disposeAll([op.conv2d(xt, ft, 'same'), op.conv2dInputGrad(dyt, ft, 'same', x.shape), op.conv2dFilterGrad(xt, dyt, 'same', filter.shape), op.maxPool(xt, 2)]);
    });
    expect(wasm.liveHandles()).toBe(live);
    expect(wasm.engineTensors()).toBe(before);
  });
});

describe("tfjs-wasm's own MaxPoolGrad (why the adapter does not use it)", () => {
  /** tfjs-wasm's MaxPoolGrad on x and dy, and the reference's maxPoolGrad. */
  function both(x: HostInput, dy: HostInput): { ratio: number } {
    const tf = wasm.tf;
    const [xt, dyt] = [tf.tensor(x.values, [...x.shape]), tf.tensor(dy.values, [...dy.shape])];
    const attrs = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };
    const y = tf.engine().runKernel('MaxPool', { x: xt }, attrs as never) as typeof xt;
    const dx = tf.engine().runKernel('MaxPoolGrad', { dy: dyt, input: xt, output: y }, attrs as never) as typeof xt;
    const got = dx.dataSync() as Float32Array;
    [xt, dyt, y, dx].forEach((t) => t.dispose());
    const want = on(reference, () => tidy(() => op.maxPoolGrad(fromHost(x.values, x.shape), fromHost(dy.values, dy.shape), 2).dataSync()));
    return compare(got, want, TOL.exact);
  }

  it('routes a tie to the last maximum, not the first', () => {
    expect(both({ values: Float32Array.of(1, 1, 1, 1), shape: [1, 2, 2, 1] }, { values: Float32Array.of(5), shape: [1, 1, 1, 1] }).ratio).toBeGreaterThan(1);
  });

  it('loses the gradient of a second channel', () => {
    expect(both({ values: Float32Array.of(1, -1, 2, -2, 3, -3, 4, -4), shape: [1, 2, 2, 2] }, { values: Float32Array.of(10, 20), shape: [1, 1, 1, 2] }).ratio).toBeGreaterThan(1);
  });
});
