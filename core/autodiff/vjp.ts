/**
 * The one table of vector-Jacobian products. Each rule maps the output cotangent to one cotangent per input
 * (null where the input gets no gradient; `needs[i]` is false where nobody wants input i's, so costly rules
 * may skip it). Rules return cotangents in the OUTPUT's broadcast shape: the engine
 * reduces them to each input's shape (grad.ts), so no rule deals with broadcasting.
 *
 * Subgradient conventions, fixed here and tested at exactly 0 (test/autodiff/conventions.test.ts):
 * - maximum(a, b) sends the gradient to a where a > b, otherwise to b: relu'(0) = maximum(x, 0)' = 0.
 * - minimum(a, b) sends it to a where a < b, otherwise to b.
 * - sign, comparisons, argmax and oneHot have zero gradient (sign'(0) is taken as 0 too).
 * - clip passes the gradient where min <= x <= max, bounds included.
 * - max over axes gives the full gradient to every element equal to the maximum.
 */
import { RsnError } from '../errors.js';
import * as op from './ops.js';
import type { Primitive, PrimitiveAttrs } from './primitives.js';
import { reducedShape } from './shapes.js';
import type { Tensor } from './tensor.js';

type VjpRule<P extends Primitive> = (
  g: Tensor,
  inputs: readonly Tensor[],
  output: Tensor,
  attrs: PrimitiveAttrs[P],
  needs: readonly boolean[],
) => (Tensor | null)[];

const none: VjpRule<Primitive> = (_g, inputs) => inputs.map(() => null);

/** The gradients of gradient primitives (second derivatives) are not defined: asking for one is an error. */
const secondOrder = (primitive: Primitive): VjpRule<Primitive> => () => {
  throw new RsnError(`the gradient of '${primitive}' is a second derivative, which rsn does not define`, 'differentiate a function of the forward primitives once (grad of grad through a convolution or pooling is not supported)');
};

const reduceBack = (g: Tensor, x: Tensor, axes: readonly number[]): Tensor =>
  op.reshape(g, reducedShape(x.shape, axes, true));

export const vjpRules: { [P in Primitive]: VjpRule<P> } = {
  add: (g) => [g, g],
  sub: (g, _, __, ___, needs) => [g, needs[1] ? op.neg(g) : null],
  mul: (g, [a, b], _, __, needs) => [needs[0] ? op.mul(g, b!) : null, needs[1] ? op.mul(g, a!) : null],
  div: (g, [, b], out, _, needs) => [
    needs[0] ? op.div(g, b!) : null,
    needs[1] ? op.neg(op.mul(g, op.div(out, b!))) : null,
  ],
  maximum: (g, [a, b], _, __, needs) => {
    const toA = op.greater(a!, b!);
    return [needs[0] ? op.mul(g, toA) : null, needs[1] ? op.mul(g, op.sub(1, toA)) : null];
  },
  minimum: (g, [a, b], _, __, needs) => {
    const toA = op.less(a!, b!);
    return [needs[0] ? op.mul(g, toA) : null, needs[1] ? op.mul(g, op.sub(1, toA)) : null];
  },
  greater: none,
  greaterEqual: none,
  equal: none,
  where: (g, [cond]) => [null, op.where(cond!, g, 0), op.where(cond!, 0, g)],
  neg: (g) => [op.neg(g)],
  exp: (g, _, out) => [op.mul(g, out)],
  log: (g, [x]) => [op.div(g, x!)],
  sqrt: (g, _, out) => [op.div(g, op.mul(out, 2))],
  sign: none,
  clip: (g, [x], _, { min, max }) => [op.mul(g, op.mul(op.greaterEqual(x!, min), op.lessEqual(x!, max)))],
  matmul: (g, [a, b], _, { transposeA: tA, transposeB: tB }, [needA, needB]) => {
    const [da, db]: [() => Tensor, () => Tensor] =
      !tA && !tB ? [() => op.matmul(g, b!, false, true), () => op.matmul(a!, g, true, false)]
      : tA && !tB ? [() => op.matmul(b!, g, false, true), () => op.matmul(a!, g)]
      : !tA && tB ? [() => op.matmul(g, b!), () => op.matmul(g, a!, true, false)]
      : [() => op.matmul(b!, g, true, true), () => op.matmul(g, a!, true, true)];
    return [needA ? da() : null, needB ? db() : null];
  },
  sum: (g, [x], _, { axes }) => [op.broadcastTo(reduceBack(g, x!, axes), x!.shape)],
  max: (g, [x], out, { axes }) => {
    const hits = op.equal(x!, reduceBack(out, x!, axes));
    return [op.mul(hits, reduceBack(g, x!, axes))];
  },
  reshape: (g, [x]) => [op.reshape(g, x!.shape)],
  transpose: (g, _, __, { perm }) => {
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [op.transpose(g, inverse)];
  },
  broadcastTo: (g) => [g],
  argmax: none,
  oneHot: none,
  conv2d: (g, [x, filter], _, { padding }, [needX, needFilter]) => [
    needX ? op.conv2dInputGrad(g, filter!, padding, x!.shape) : null,
    needFilter ? op.conv2dFilterGrad(x!, g, padding, filter!.shape) : null,
  ],
  conv2dInputGrad: secondOrder('conv2dInputGrad'),
  conv2dFilterGrad: secondOrder('conv2dFilterGrad'),
  maxPool: (g, [x], _, { size }) => [op.maxPoolGrad(x!, g, size)],
  maxPoolGrad: secondOrder('maxPoolGrad'),
};
