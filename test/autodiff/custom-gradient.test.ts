/**
 * Custom ops under a gradient (engine.ts, custom with a CustomGradient; grad.ts, vjp): a kernel runs while a tape
 * records only inputs its rule differentiates, and its output is differentiated by that rule (told which inputs
 * are recorded, and handed the kernel's output); with another input recorded, or no rule, the composition runs
 * and is differentiated primitive by primitive. vjp seeds the backward pass with a given cotangent. On the
 * reference backend, with a kernel that doubles its input and one that multiplies two.
 */
import { describe, expect, it, vi } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import type { Backend, HostData, TensorInfo } from '../../core/autodiff/backend.js';
import { custom, setActiveBackend, type CustomGradient } from '../../core/autodiff/engine.js';
import { grad, valueAndGrad, vjp } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { ShapeError } from '../../core/errors.js';

const reference = createReferenceBackend('float32');
const double = vi.fn((inputs: { x: TensorInfo<HostData> }) => [reference.run('add', [inputs.x, inputs.x], {}, { shape: inputs.x.shape, dtype: 'float32' })]);
const product = vi.fn((inputs: { x: TensorInfo<HostData>; y: TensorInfo<HostData> }) =>
  [reference.run('mul', [inputs.x, inputs.y], {}, { shape: inputs.x.shape, dtype: 'float32' })]);
const backend: Backend = { ...reference, custom: { double: double as never, product: product as never } };
setActiveBackend(backend);

/** 2x (+ 0 * y when y is given), as a custom op whose kernel doubles x; the composition adds x to itself. */
function doubled(x: Tensor, y?: Tensor, rule: CustomGradient | 'none' = { inputs: ['x'], inputCotangents: (g) => [op.mul(g, 2)] }): Tensor {
  const gradient = rule === 'none' ? undefined : rule;
  const composition = () => [y ? op.add(op.add(x, x), op.mul(y, 0)) : op.add(x, x)];
  return custom('double', y ? { x, y } : { x }, {}, composition, [x.shape], gradient)[0]!;
}

/** The `needs` each call of the product's rule was handed, and the output it was handed equals the kernel's. */
const ruleCalls: boolean[][] = [];

/** x * y (y broadcast to x's shape) as a custom op whose rule differentiates both inputs. */
function multiplied(x: Tensor, y: Tensor): Tensor {
  const gradient: CustomGradient = {
    inputs: ['x', 'y'],
    inputCotangents: (g, output, needs) => {
      ruleCalls.push([...needs]);
      expect(output.toArray()).toEqual(op.mul(x, y).toArray());
      // In the output's shape: the engine sums y's over the axes it was broadcast along.
      return [needs[0] ? op.mul(g, y) : null, needs[1] ? op.mul(g, x) : null];
    },
  };
  return custom('product', { x, y }, {}, () => [op.mul(x, y)], [x.shape], gradient)[0]!;
}

describe('custom ops under a gradient', () => {
  it('run their kernel while x is recorded, and differentiate its output by the rule given', () => {
    double.mockClear();
    const g = grad((x) => op.sum(op.mul(doubled(x), x)))(op.tensor([1, -2, 3]));
    expect(double).toHaveBeenCalledOnce();
    // d/dx sum(2x * x) = 4x: 2x through the product's other factor, 2x through the rule.
    expect(g.toArray()).toEqual([4, -8, 12]);
  });

  it('run the composition when another input is recorded, or when no rule is given', () => {
    double.mockClear();
    const { grads } = valueAndGrad((x: Tensor, y: Tensor) => op.sum(doubled(x, y)))(op.tensor([1, 2]), op.tensor([5, 6]));
    expect(grads.map((t) => t.toArray())).toEqual([[2, 2], [0, 0]]);
    expect(grad((x) => op.sum(doubled(x, undefined, 'none')))(op.tensor([1, 2])).toArray()).toEqual([2, 2]);
    expect(double).not.toHaveBeenCalled();
    // Where nothing is recorded, the kernel runs with or without a rule.
    expect(doubled(op.tensor([3]), undefined, 'none').toArray()).toEqual([6]);
    expect(double).toHaveBeenCalledOnce();
  });

  it('vjp: the backward pass seeded with a cotangent, also inside another gradient\'s backward pass', () => {
    const x = op.tensor([0.5, -1, 2]);
    const f = (z: Tensor) => op.mul(op.exp(z), z);
    const seed = op.tensor([1, -2, 0.25]);
    const direct = grad((z) => op.sum(op.mul(f(z), seed)))(x).toArray();
    expect(vjp(f, x, seed).toArray()).toEqual(direct);
    // A rule that is itself a vjp, called while the outer backward pass runs untracked.
    const viaRule = grad((z) => op.sum(op.mul(doubled(z, undefined, { inputs: ['x'], inputCotangents: (g) => [vjp((w) => op.add(w, w), z, g)] }), seed)))(x);
    expect(viaRule.toArray()).toEqual(seed.toArray().map((s) => 2 * s));
    expect(() => vjp(f, x, op.tensor([1]))).toThrow(ShapeError);
  });

  it('with several differentiable inputs: the kernel runs, the rule is told which are recorded, and broadcast cotangents are summed', () => {
    product.mockClear();
    ruleCalls.length = 0;
    const x = op.tensor([1, -2, 3]);
    const y = op.tensor([0.5, 4, -1]);
    const both = valueAndGrad((a: Tensor, b: Tensor) => op.sum(op.mul(multiplied(a, b), a)))(x, y);
    // d/da sum(a b a) = 2 a b (one a through the rule), d/db = a^2.
    expect(both.grads.map((t) => t.toArray())).toEqual([[1, -16, -6], [1, 4, 9]]);
    const onlyY = grad((b) => op.sum(multiplied(x, b)))(y);
    expect(onlyY.toArray()).toEqual([1, -2, 3]);
    const shared = grad((b) => op.sum(multiplied(x, b)))(op.tensor([2]));
    expect(shared.toArray()).toEqual([2]);
    expect(product).toHaveBeenCalledTimes(3);
    expect(ruleCalls).toEqual([[true, true], [false, true], [false, true]]);
  });

  it('run the composition when a recorded input is not among those the rule differentiates', () => {
    product.mockClear();
    const onlyX: CustomGradient = { inputs: ['x'], inputCotangents: (g) => [g] };
    const f = (a: Tensor, b: Tensor) => op.sum(custom('product', { x: a, y: b }, {}, () => [op.mul(a, b)], [a.shape], onlyX)[0]!);
    const { grads } = valueAndGrad(f)(op.tensor([1, 2]), op.tensor([3, -4]));
    expect(grads.map((t) => t.toArray())).toEqual([[3, -4], [1, 2]]);
    expect(product).not.toHaveBeenCalled();
  });
});
