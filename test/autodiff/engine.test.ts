/**
 * Engine behaviour: gradient accumulation, several arguments, inputs vs weights, constants, nested
 * gradients, tidy()/keep() scopes and disposal, all against hand derivations in plain JS.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createReferenceBackend } from '../../backends/reference/index.js';
import { keep, setActiveBackend, tidy } from '../../core/autodiff/engine.js';
import { grad, valueAndGrad } from '../../core/autodiff/grad.js';
import * as op from '../../core/autodiff/ops.js';
import { liveTensorCount, type Tensor } from '../../core/autodiff/tensor.js';
import { BackendError, DisposedTensorError, RsnError, ShapeError } from '../../core/errors.js';
import { expectAllClose } from '../support/allclose.js';

const backend = createReferenceBackend('float32');
beforeAll(() => setActiveBackend(backend));

const xs = [0.5, -1.25, 2, 0, 3.5];

describe('gradients', () => {
  it('accumulate when a tensor is used twice: d/dx sum(x * x) = 2x, d/dx sum(x * x * x) = 3x^2', () => {
    expect(grad((x) => op.sum(op.mul(x, x)))(op.tensor(xs)).toArray()).toEqual(xs.map((x) => 2 * x));
    expectAllClose(grad((x) => op.sum(op.mul(op.mul(x, x), x)))(op.tensor(xs)).toArray(), xs.map((x) => 3 * x * x));
    // x reaches the output along two paths of different depth: d/dx sum(x + exp(x)) = 1 + exp(x).
    expectAllClose(grad((x) => op.sum(op.add(x, op.exp(x))))(op.tensor(xs)).toArray(), xs.map((x) => 1 + Math.exp(x)));
  });

  it('valueAndGrad w.r.t. several arguments, one of them unused', () => {
    const [a, b, c, unused] = [op.tensor([1, 2, 3]), op.tensor([-1, 0.5, 4]), op.tensor([0, 1, -2]), op.tensor([9, 9])];
    const { value, grads } = valueAndGrad((a: Tensor, b: Tensor, c: Tensor, _u: Tensor) => op.sum(op.add(op.mul(a, b), op.exp(c))))(
      a, b, c, unused,
    );
    expectAllClose([value.item()], [-1 + 1 + 12 + 1 + Math.E + Math.exp(-2)]);
    expect(grads).toHaveLength(4);
    expect(grads[0]!.toArray()).toEqual([-1, 0.5, 4]);
    expect(grads[1]!.toArray()).toEqual([1, 2, 3]);
    expectAllClose(grads[2]!.toArray(), [1, Math.E, Math.exp(-2)]);
    expect(grads[3]!.toArray()).toEqual([0, 0]);
  });

  it('the same function differentiated w.r.t. its input (attacks) and its weights (training) agrees, and matches the hand formula', () => {
    // L(x, W) = CE(softmax(x W), y), x [2,3], W [3,4]: dL/dlogits = (softmax - y) / n, dx = D W^T, dW = x^T D.
    const xv = [0.2, -1, 0.5, 1.5, 0.3, -0.7];
    const wv = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6, 0.7, -0.8, 0.9, 1.0, -1.1, 0.12];
    const yv = [0, 0, 1, 0, 0.91, 0.03, 0.03, 0.03];
    const [x, w, y] = [op.tensor(xv, [2, 3]), op.tensor(wv, [3, 4]), op.tensor(yv, [2, 4])];
    const loss = (x: Tensor, w: Tensor) => op.softmaxCrossEntropy(op.matmul(x, w), y);
    const both = valueAndGrad(loss)(x, w);
    const wrtInput = valueAndGrad((x: Tensor) => loss(x, w))(x);
    const wrtWeights = valueAndGrad((w: Tensor) => loss(x, w))(w);

    const d: number[] = [];
    let expectedLoss = 0;
    for (let i = 0; i < 2; i++) {
      const logits = [0, 1, 2, 3].map((j) => [0, 1, 2].reduce((s, p) => s + xv[i * 3 + p]! * wv[p * 4 + j]!, 0));
      const z = logits.reduce((s, l) => s + Math.exp(l), 0);
      logits.forEach((l, j) => {
        d.push((Math.exp(l) / z - yv[i * 4 + j]!) / 2);
        expectedLoss -= (yv[i * 4 + j]! * (l - Math.log(z))) / 2;
      });
    }
    const dx = [0, 1].flatMap((i) => [0, 1, 2].map((p) => [0, 1, 2, 3].reduce((s, j) => s + d[i * 4 + j]! * wv[p * 4 + j]!, 0)));
    const dw = [0, 1, 2].flatMap((p) => [0, 1, 2, 3].map((j) => [0, 1].reduce((s, i) => s + xv[i * 3 + p]! * d[i * 4 + j]!, 0)));

    for (const v of [both.value, wrtInput.value, wrtWeights.value]) expectAllClose([v.item()], [expectedLoss]);
    expectAllClose(both.grads[0]!.toArray(), dx);
    expectAllClose(wrtInput.grads[0]!.toArray(), dx);
    expectAllClose(both.grads[1]!.toArray(), dw);
    expectAllClose(wrtWeights.grads[0]!.toArray(), dw);
    expect(wrtInput.grads[0]!.shape).toEqual([2, 3]);
    expect(wrtWeights.grads[0]!.shape).toEqual([3, 4]);
  });

  it('tensors closed over are constants, even when computed from the argument outside f', () => {
    const x = op.tensor(xs);
    const c = op.exp(x);
    // If c were traced, the gradient would be c + x * c.
    expect(grad((t) => op.sum(op.mul(t, c)))(x).toArray()).toEqual(c.toArray());
  });

  it('a gradient computed inside a differentiated function is a constant for the outer one', () => {
    // g(w) = d/dw sum(w^3) = 3 w^2. Outer f(w) = sum(w * g(w)): with g constant df/dw = g(w) = 3 w^2
    // (treating g as a function of w would give 9 w^2).
    const w = op.tensor([0.5, -1, 2]);
    const inner = grad((t) => op.sum(op.mul(op.mul(t, t), t)));
    const { value, grads } = valueAndGrad((t: Tensor) => op.sum(op.mul(t, inner(t))))(w);
    expectAllClose(grads[0]!.toArray(), [0.75, 3, 12]);
    expectAllClose([value.item()], [3 * (0.125 - 1 + 8)]);
  });

  it('an inner tidy() inside a differentiated function does not break backward', () => {
    const x = op.tensor(xs.map((v) => v / 2));
    const f = (t: Tensor) => op.sum(tidy(() => op.exp(op.mul(tidy(() => op.mul(t, t)), 0.5))));
    const before = liveTensorCount();
    const g = grad(f)(x);
    expectAllClose(g.toArray(), xs.map((v) => (v / 2) * Math.exp((v / 2) ** 2 / 2)));
    expect(liveTensorCount()).toBe(before + 1);
  });

  it('valueAndGrad frees every intermediate: only the value and the gradients stay alive', () => {
    const [a, b] = [op.tensor([1, 2, 3]), op.tensor([4, 5, 6])];
    const [tensors, handles] = [liveTensorCount(), backend.liveHandles()];
    const out = valueAndGrad((a: Tensor, b: Tensor) => op.softmaxCrossEntropy(op.reshape(op.mul(a, b), [1, 3]), op.reshape(b, [1, 3])))(a, b);
    expect(liveTensorCount()).toBe(tensors + 3);
    expect(backend.liveHandles()).toBe(handles + 3);
    [out.value, ...out.grads].forEach((t) => t.dispose());
    expect(liveTensorCount()).toBe(tensors);
    expect(backend.liveHandles()).toBe(handles);
  });

  it('valueAndGrad of a non-scalar function throws', () => {
    expect(() => valueAndGrad((x: Tensor) => op.mul(x, 2))(op.tensor([1, 2]))).toThrow(RsnError);
  });
});

describe('tidy, keep and disposal', () => {
  it('tidy disposes intermediates and keeps the returned tensors (nested in arrays and objects)', () => {
    const before = liveTensorCount();
    let intermediate: Tensor | undefined;
    const result = tidy(() => {
      intermediate = op.exp(op.tensor([1, 2]));
      const a = op.add(intermediate, 1);
      return { a, list: [op.neg(a)], n: 3 };
    });
    expect(intermediate!.isDisposed).toBe(true);
    expect(result.a.isDisposed).toBe(false);
    expectAllClose(result.list[0]!.toArray(), [-1 - Math.E, -1 - Math.exp(2)]);
    expect(liveTensorCount()).toBe(before + 2);
    result.a.dispose();
    result.list[0]!.dispose();
    expect(liveTensorCount()).toBe(before);
  });

  it('nested tidy hands its result to the enclosing scope, which disposes it unless returned', () => {
    let inner: Tensor | undefined;
    const before = liveTensorCount();
    tidy(() => {
      inner = tidy(() => op.mul(op.tensor([1]), 2));
      expect(inner.isDisposed).toBe(false);
      return undefined;
    });
    expect(inner!.isDisposed).toBe(true);
    expect(liveTensorCount()).toBe(before);
  });

  it('keep() exempts a tensor from every enclosing scope', () => {
    let kept: Tensor | undefined;
    tidy(() => tidy(() => {
      kept = keep(op.tensor([5]));
    }));
    expect(kept!.item()).toBe(5);
    kept!.dispose();
  });

  it('a throwing tidy disposes what it created and rethrows', () => {
    const before = liveTensorCount();
    expect(() => tidy(() => {
      op.tensor([1, 2]);
      throw new Error('boom');
    })).toThrow('boom');
    expect(liveTensorCount()).toBe(before);
  });

  it('using a disposed tensor throws DisposedTensorError; disposing twice is harmless', () => {
    const t = op.tensor([1, 2, 3]);
    t.dispose();
    t.dispose();
    expect(() => op.add(t, 1)).toThrow(DisposedTensorError);
    expect(() => t.dataSync()).toThrow(DisposedTensorError);
    const escaped = tidy(() => {
      const inside = op.tensor([1]);
      op.neg(inside);
      return [inside];
    })[0]!;
    expect(escaped.item()).toBe(1);
    const lost = tidy(() => {
      const holder: Tensor[] = [];
      tidy(() => void holder.push(op.tensor([1])));
      return holder;
    });
    expect(() => op.exp(lost[0]!)).toThrow(DisposedTensorError);
  });

  it('item() of a tensor with more than one element throws ShapeError', () => {
    expect(() => op.tensor([1, 2]).item()).toThrow(ShapeError);
  });

  it('mixing tensors of two backends throws BackendError', () => {
    const a = op.tensor([1]);
    setActiveBackend(createReferenceBackend('float64'));
    const b = op.tensor([1]);
    setActiveBackend(backend);
    expect(() => op.add(a, b)).toThrow(BackendError);
  });
});
