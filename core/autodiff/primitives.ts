/**
 * The closed set of primitives every backend implements, with their typed attributes.
 * Kernel names are the contract between the core and the backends (see backends/backend.ts).
 * Composite operations (relu, log-softmax, cross-entropy, ...) are built from these in core/autodiff/ops.ts.
 */
export type DType = 'float32' | 'int32';
export type Shape = readonly number[];

type NoAttrs = Record<string, never>;

export interface PrimitiveAttrs {
  // Elementwise binary ops broadcast their inputs (numpy rules).
  add: NoAttrs;
  sub: NoAttrs;
  mul: NoAttrs;
  div: NoAttrs;
  maximum: NoAttrs;
  minimum: NoAttrs;
  // Comparisons return float32 0/1 masks, so they compose with mul and where.
  greater: NoAttrs;
  greaterEqual: NoAttrs;
  equal: NoAttrs;
  // `cond` is a float32 0/1 mask: out = cond != 0 ? a : b.
  where: NoAttrs;
  neg: NoAttrs;
  exp: NoAttrs;
  log: NoAttrs;
  sqrt: NoAttrs;
  sign: NoAttrs;
  clip: { min: number; max: number };
  /**
   * [..., m, k] x [..., k, n] after optional transposes of the last two axes; the leading (batch) axes broadcast
   * against each other as numpy's matmul does: [T, n, k] x [T, k, m], or [n, k] x [T, k, m] for an input shared by all.
   */
  matmul: { transposeA: boolean; transposeB: boolean };
  sum: { axes: readonly number[]; keepDims: boolean };
  max: { axes: readonly number[]; keepDims: boolean };
  reshape: { shape: Shape };
  transpose: { perm: readonly number[] };
  broadcastTo: { shape: Shape };
  /** float32 in, int32 out: the index of the maximum along `axis`; on ties, the FIRST such index. */
  argmax: { axis: number };
  /** int32 in, float32 out with a trailing axis of size depth; a label outside [0, depth) gives a row of zeros. */
  oneHot: { depth: number };
}

export type Primitive = keyof PrimitiveAttrs;

export const PRIMITIVES = [
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'greaterEqual', 'equal', 'where',
  'neg', 'exp', 'log', 'sqrt', 'sign', 'clip', 'matmul', 'sum', 'max', 'reshape', 'transpose',
  'broadcastTo', 'argmax', 'oneHot',
] as const satisfies readonly Primitive[];

export const BINARY_PRIMITIVES = [
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'greaterEqual', 'equal',
] as const satisfies readonly Primitive[];
export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];

export const UNARY_PRIMITIVES = ['neg', 'exp', 'log', 'sqrt', 'sign'] as const satisfies readonly Primitive[];
export type UnaryPrimitive = (typeof UNARY_PRIMITIVES)[number];
