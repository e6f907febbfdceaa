import type { HostData } from '../../core/autodiff/backend.js';
import * as op from '../../core/autodiff/ops.js';
import type { ConvPadding, DType, Primitive, Shape } from '../../core/autodiff/primitives.js';
import { sizeOf } from '../../core/autodiff/shapes.js';
import type { Tensor } from '../../core/autodiff/tensor.js';
import { Rng } from '../../core/nn/rng.js';
import { TOL, type Tolerance } from './tolerance.js';

export interface Input {
  readonly values: HostData;
  readonly shape: Shape;
  readonly dtype: DType;
}

/** One primitive application, run on a backend and on the oracle. Gradients are taken w.r.t. every float input. */
export interface PrimitiveCase {
  readonly primitive: Primitive;
  readonly name: string;
  readonly inputs: readonly Input[];
  readonly apply: (...xs: Tensor[]) => Tensor;
  readonly tol: Tolerance;
  /** False for int32 outputs, whose values cannot weight a scalar loss. */
  readonly differentiable: boolean;
}

const rng = new Rng(20240611);
const uniform = (shape: Shape, low = -2, high = 2): Input => ({ values: rng.uniformArray(sizeOf(shape), low, high), shape, dtype: 'float32' });
/** Small integers: many exact ties, which pin down comparisons and the subgradients at ties. */
const ties = (shape: Shape): Input => ({
  values: Float32Array.from({ length: sizeOf(shape) }, () => rng.int(5) - 2), shape, dtype: 'float32',
});
const mask = (shape: Shape): Input => ({ values: Float32Array.from({ length: sizeOf(shape) }, () => rng.int(2)), shape, dtype: 'float32' });
const fixed = (values: number[], shape: Shape = [values.length]): Input => ({ values: Float32Array.from(values), shape, dtype: 'float32' });

/** Values at which semantics are easy to get wrong: signed zeros, denormals, bounds, large magnitudes. */
const SPECIAL = [0, -0, 1e-45, -1e-45, 1e-38, -1e-38, 1, -1, 0.3, -0.3, 3e38, -3e38, 0.5, 2];

type Binary = (a: Tensor, b: Tensor) => Tensor;
const BINARY: [Primitive, Binary, Tolerance][] = [
  ['add', op.add, TOL.exact], ['sub', op.sub, TOL.exact], ['mul', op.mul, TOL.exact], ['div', op.div, TOL.exact],
  ['maximum', op.maximum, TOL.exact], ['minimum', op.minimum, TOL.exact],
  ['greater', op.greater, TOL.exact], ['greaterEqual', op.greaterEqual, TOL.exact], ['equal', op.equal, TOL.exact],
];
export const BINARY_OPS = BINARY;

/** Pairs of broadcast-compatible shapes, including scalars on either side. */
const BROADCASTS: [Shape, Shape][] = [[[3, 4], [3, 4]], [[3, 4], [4]], [[3, 1], [1, 4]], [[2, 3], []], [[], [2, 3]], [[2, 1, 3], [4, 1]]];

function binaryCases(): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  for (const [primitive, apply, tol] of BINARY) {
    for (const [sa, sb] of BROADCASTS) {
      const positive = primitive === 'div';
      const a = positive ? uniform(sa, 0.5, 2) : ties(sa);
      const b = positive ? uniform(sb, 0.5, 2) : ties(sb);
      cases.push({ primitive, name: `${primitive} [${sa}] [${sb}] with ties`, inputs: [a, b], apply, tol, differentiable: true });
    }
    cases.push({ primitive, name: `${primitive} random [5,6]`, inputs: [uniform([5, 6]), uniform([5, 6])], apply, tol, differentiable: true });
  }
  // relu: maximum with the constant 0 (a fast path on tfjs), at and around 0.
  const relu = fixed([...SPECIAL, ...Array.from(rng.uniformArray(10, -1, 1))]);
  cases.push({ primitive: 'maximum', name: 'relu = maximum(x, 0) at special values', inputs: [relu], apply: (x) => op.relu(x), tol: TOL.exact, differentiable: true });
  cases.push({ primitive: 'minimum', name: 'minimum(x, 0.3) at special values', inputs: [relu], apply: (x) => op.minimum(x, 0.3), tol: TOL.exact, differentiable: true });
  cases.push({ primitive: 'greater', name: 'greater(x, 0) at special values', inputs: [relu], apply: (x) => op.greater(x, 0), tol: TOL.exact, differentiable: true });
  cases.push({ primitive: 'equal', name: 'equal(x, -0) at special values', inputs: [relu], apply: (x) => op.equal(x, -0), tol: TOL.exact, differentiable: true });
  return cases;
}

function unaryCases(): PrimitiveCase[] {
  const special = fixed(SPECIAL);
  const positive = uniform([4, 5], 0.01, 4);
  return [
    { primitive: 'neg', name: 'neg', inputs: [uniform([4, 5])], apply: op.neg, tol: TOL.exact, differentiable: true },
    { primitive: 'neg', name: 'neg at special values', inputs: [special], apply: op.neg, tol: TOL.exact, differentiable: true },
    { primitive: 'exp', name: 'exp', inputs: [uniform([4, 5], -10, 10)], apply: op.exp, tol: TOL.transcendental, differentiable: true },
    { primitive: 'log', name: 'log', inputs: [positive], apply: op.log, tol: TOL.transcendental, differentiable: true },
    { primitive: 'sqrt', name: 'sqrt', inputs: [positive], apply: op.sqrt, tol: TOL.exact, differentiable: true },
    { primitive: 'sign', name: 'sign', inputs: [ties([4, 5])], apply: op.sign, tol: TOL.exact, differentiable: true },
    { primitive: 'sign', name: 'sign at special values (sign(0) = 0, denormals)', inputs: [special], apply: op.sign, tol: TOL.exact, differentiable: true },
    { primitive: 'clip', name: 'clip with values on the bounds', inputs: [ties([4, 5])], apply: (x) => op.clip(x, -1, 1), tol: TOL.exact, differentiable: true },
    { primitive: 'clip', name: 'clip [0.25, 0.75]', inputs: [uniform([4, 5], 0, 1)], apply: (x) => op.clip(x, 0.25, 0.75), tol: TOL.exact, differentiable: true },
    { primitive: 'clip', name: 'clip to one value [0.5, 0.5]', inputs: [uniform([4, 5], 0, 1)], apply: (x) => op.clip(x, 0.5, 0.5), tol: TOL.exact, differentiable: true },
    { primitive: 'clip', name: 'clip to zero [-0, 0] (an attack with eps 0)', inputs: [uniform([4, 5])], apply: (x) => op.clip(x, -0, 0), tol: TOL.exact, differentiable: true },
    {
      primitive: 'where', name: 'where [3,4] mask', inputs: [mask([3, 4]), uniform([3, 4]), uniform([3, 4])],
      apply: (c, a, b) => op.where(c!, a!, b!), tol: TOL.exact, differentiable: true,
    },
    {
      primitive: 'where', name: 'where broadcast mask [3,1], a [4], b scalar', inputs: [mask([3, 1]), uniform([4]), uniform([])],
      apply: (c, a, b) => op.where(c!, a!, b!), tol: TOL.exact, differentiable: true,
    },
    {
      primitive: 'where', name: 'where(x > 0, x, 0.5) with a constant branch', inputs: [uniform([3, 4])],
      apply: (x) => op.where(op.greater(x, 0), x, 0.5), tol: TOL.exact, differentiable: true,
    },
  ];
}

function layoutCases(): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
    const a = uniform(tA ? [7, 5] : [5, 7]);
    const b = uniform(tB ? [3, 7] : [7, 3]);
    cases.push({ primitive: 'matmul', name: `matmul transposeA=${tA} transposeB=${tB}`, inputs: [a, b], apply: (x, y) => op.matmul(x!, y!, tA, tB), tol: TOL.reduction, differentiable: true });
  }
  cases.push({ primitive: 'matmul', name: 'matmul [6,50] x [50,9] (k = 50)', inputs: [uniform([6, 50]), uniform([50, 9])], apply: (x, y) => op.matmul(x!, y!), tol: TOL.reduction, differentiable: true });
  // A trial axis: batched products, with the batch axes broadcast (a shared input, a size-1 batch axis).
  const batched: [string, Shape, Shape, boolean, boolean][] = [
    ['[3,5,7] x [3,7,4]', [3, 5, 7], [3, 7, 4], false, false],
    ['[5,7] x [3,7,4] (input shared by all trials)', [5, 7], [3, 7, 4], false, false],
    ['[3,5,7] x [7,4] (weights shared)', [3, 5, 7], [7, 4], false, false],
    ['[2,1,5,7] x [3,7,4] (broadcast batch axes)', [2, 1, 5, 7], [3, 7, 4], false, false],
    ['[3,7,5]^T x [3,7,4]', [3, 7, 5], [3, 7, 4], true, false],
    ['[3,5,7] x [3,4,7]^T', [3, 5, 7], [3, 4, 7], false, true],
    ['[3,7,5]^T x [4,7]^T', [3, 7, 5], [4, 7], true, true],
  ];
  for (const [label, sa, sb, tA, tB] of batched) {
    cases.push({ primitive: 'matmul', name: `matmul ${label}`, inputs: [uniform(sa), uniform(sb)], apply: (x, y) => op.matmul(x!, y!, tA, tB), tol: TOL.reduction, differentiable: true });
  }
  for (const [reducer, apply] of [['sum', op.sum], ['max', op.max]] as const) {
    for (const [axes, keep] of [[[], false], [[0], false], [[1], true], [[2], false], [[0, 2], false], [[0, 1, 2], true]] as [number[], boolean][]) {
      const x = reducer === 'max' ? ties([2, 3, 4]) : uniform([2, 3, 4]);
      cases.push({
        primitive: reducer, name: `${reducer} over [${axes}] of [2,3,4] keepDims=${keep}${reducer === 'max' ? ' with ties' : ''}`,
        inputs: [x], apply: (t) => apply(t, axes, keep), tol: TOL.reduction, differentiable: true,
      });
    }
  }
  cases.push({ primitive: 'sum', name: 'sum of a scalar', inputs: [uniform([])], apply: (t) => op.sum(t), tol: TOL.reduction, differentiable: true });
  cases.push({ primitive: 'reshape', name: 'reshape [2,3,4] -> [4,-1]', inputs: [uniform([2, 3, 4])], apply: (t) => op.reshape(t, [4, -1]), tol: TOL.exact, differentiable: true });
  for (const perm of [[1, 0, 2], [2, 0, 1], [0, 2, 1]]) {
    cases.push({ primitive: 'transpose', name: `transpose [2,3,4] by [${perm}]`, inputs: [uniform([2, 3, 4])], apply: (t) => op.transpose(t, perm), tol: TOL.exact, differentiable: true });
  }
  cases.push({ primitive: 'transpose', name: 'transpose [5,7]', inputs: [uniform([5, 7])], apply: (t) => op.transpose(t), tol: TOL.exact, differentiable: true });
  for (const [from, to] of [[[3, 1], [2, 3, 4]], [[], [2, 3]], [[4], [3, 4]], [[2, 3], [2, 3]]] as [Shape, Shape][]) {
    cases.push({ primitive: 'broadcastTo', name: `broadcastTo [${from}] -> [${to}]`, inputs: [uniform(from)], apply: (t) => op.broadcastTo(t, to), tol: TOL.exact, differentiable: true });
  }
  const rows = ties([6, 5]);
  cases.push({ primitive: 'argmax', name: 'argmax over the last axis, ties resolved to the first', inputs: [rows], apply: (t) => op.argmax(t, -1), tol: TOL.exact, differentiable: false });
  cases.push({ primitive: 'argmax', name: 'argmax over axis 0', inputs: [uniform([6, 5])], apply: (t) => op.argmax(t, 0), tol: TOL.exact, differentiable: false });
  const labels: Input = { values: Int32Array.from([0, 3, 9, 5, -1, 10, 2]), shape: [7], dtype: 'int32' };
  cases.push({ primitive: 'oneHot', name: 'oneHot depth 10, out-of-range labels give zeros', inputs: [labels], apply: (t) => op.oneHot(t, 10), tol: TOL.exact, differentiable: true });
  return cases;
}

/**
 * The optional primitives of convolutional networks. Sums stay within 50 terms (TOL.reduction's bound): filters of
 * at most 50 weights, filter gradients over at most 50 output positions.
 */
function convolutionCases(): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  const convs: [string, Shape, Shape, ConvPadding][] = [
    ['3x3 same, 2 -> 3 channels', [2, 5, 5, 2], [3, 3, 2, 3], 'same'],
    ['3x3 valid, 2 -> 3 channels', [2, 7, 7, 2], [3, 3, 2, 3], 'valid'],
    ['5x5 same on one channel (LeNet-5\'s first layer)', [1, 6, 6, 1], [5, 5, 1, 4], 'same'],
    ['2x4 same (even sizes pad one more after)', [1, 5, 6, 2], [2, 4, 2, 2], 'same'],
    ['1x1 valid', [2, 3, 4, 5], [1, 1, 5, 2], 'valid'],
  ];
  for (const [label, xs, ws, padding] of convs) {
    const [x, w] = [uniform(xs), uniform(ws)];
    cases.push({ primitive: 'conv2d', name: `conv2d ${label}`, inputs: [x, w], apply: (a, b) => op.conv2d(a!, b!, padding), tol: TOL.reduction, differentiable: true });
    const out = [xs[0]!, padding === 'same' ? xs[1]! : xs[1]! - ws[0]! + 1, padding === 'same' ? xs[2]! : xs[2]! - ws[1]! + 1, ws[3]!];
    const dy = uniform(out);
    cases.push({ primitive: 'conv2dInputGrad', name: `conv2dInputGrad ${label}`, inputs: [dy, w], apply: (g, b) => op.conv2dInputGrad(g!, b!, padding, xs), tol: TOL.reduction, differentiable: false });
    cases.push({ primitive: 'conv2dFilterGrad', name: `conv2dFilterGrad ${label}`, inputs: [x, dy], apply: (a, g) => op.conv2dFilterGrad(a!, g!, padding, ws), tol: TOL.reduction, differentiable: false });
  }
  // Ties decide which element of a window gets the gradient (the first maximum); 5x7 leaves a row and a column out.
  for (const [label, x] of [['random', uniform([2, 6, 4, 3])], ['with ties', ties([2, 6, 4, 3])], ['5x7 with ties (partial windows dropped)', ties([1, 5, 7, 2])]] as const) {
    cases.push({ primitive: 'maxPool', name: `maxPool 2x2 ${label}`, inputs: [x], apply: (t) => op.maxPool(t, 2), tol: TOL.exact, differentiable: true });
    const out = [x.shape[0]!, Math.floor(x.shape[1]! / 2), Math.floor(x.shape[2]! / 2), x.shape[3]!];
    cases.push({ primitive: 'maxPoolGrad', name: `maxPoolGrad 2x2 ${label}`, inputs: [x, uniform(out)], apply: (t, g) => op.maxPoolGrad(t!, g!, 2), tol: TOL.exact, differentiable: false });
  }
  cases.push({ primitive: 'maxPool', name: 'maxPool 3x3 random', inputs: [uniform([1, 6, 7, 2])], apply: (t) => op.maxPool(t, 3), tol: TOL.exact, differentiable: true });
  return cases;
}

export const primitiveCases = (): PrimitiveCase[] => [...binaryCases(), ...unaryCases(), ...layoutCases(), ...convolutionCases()];
