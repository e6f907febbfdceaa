/**
 * Custom ops under a gradient (engine.ts, custom with a CustomGradient; grad.ts, vjp): a kernel runs while a tape
 * records its one differentiable input and its output is differentiated by the rule given; with another input
 * recorded, or no rule, the composition runs and is differentiated primitive by primitive. vjp seeds the backward
 * pass with a given cotangent. On the reference backend, with a kernel that doubles its input.
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
const backend: Backend = { ...reference, custom: { double: double as never } };
setActiveBackend(backend);

/** 2x (+ 0 * y when y is given), as a custom op whose kernel doubles x; the composition adds x to itself. */
function doubled(x: Tensor, y?: Tensor, rule: CustomGradient | 'none' = { input: 'x', inputCotangent: (g) => op.mul(g, 2) }): Tensor {
  const gradient = rule === 'none' ? undefined : rule;
  const composition = () => [y ? op.add(op.add(x, x), op.mul(y, 0)) : op.add(x, x)];
  return custom('double', y ? { x, y } : { x }, {}, composition, [x.shape], gradient)[0]!;
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
    const viaRule = grad((z) => op.sum(op.mul(doubled(z, undefined, { input: 'x', inputCotangent: (g) => vjp((w) => op.add(w, w), z, g) }), seed)))(x);
    expect(viaRule.toArray()).toEqual(seed.toArray().map((s) => 2 * s));
    expect(() => vjp(f, x, op.tensor([1]))).toThrow(ShapeError);
  });
});
