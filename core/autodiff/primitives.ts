/**
 * The closed set of primitives, with their typed attributes. Kernel names are the contract between the core and
 * the backends (autodiff/backend.ts): every backend implements the REQUIRED ones; an OPTIONAL one (convolution,
 * pooling) may be left out, and the core then runs its host kernel (autodiff/host-kernels/) on the backend's values.
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

  // Optional primitives. Images are NHWC ([n, height, width, channels]); filters HWIO ([kh, kw, in, out]).
  /**
   * 2-D cross-correlation with stride 1 (what deep-learning libraries call convolution): x [n, h, w, c_in],
   * filter [kh, kw, c_in, c_out] -> [n, oh, ow, c_out]. 'valid': oh = h - kh + 1; 'same': oh = h, zero padding
   * of floor((kh - 1) / 2) above and the rest below (likewise left and right), as TensorFlow pads.
   */
  conv2d: { padding: ConvPadding };
  /** The gradient of conv2d with respect to x: dy [n, oh, ow, c_out], filter -> [n, h, w, c_in] (inputShape). */
  conv2dInputGrad: { padding: ConvPadding; inputShape: Shape };
  /** The gradient of conv2d with respect to the filter: x, dy [n, oh, ow, c_out] -> filterShape. */
  conv2dFilterGrad: { padding: ConvPadding; filterShape: Shape };
  /**
   * Max pooling over size x size windows with stride size, no padding: [n, h, w, c] -> [n, floor(h / size),
   * floor(w / size), c]. A window holding NaN gives NaN.
   */
  maxPool: { size: number };
  /**
   * The gradient of maxPool: x, dy -> dx of x's shape. Each window's gradient goes to ONE element: the first
   * (row-major within the window) that equals the window's maximum (TensorFlow's convention); rows and columns
   * beyond the last whole window get 0.
   */
  maxPoolGrad: { size: number };
}

export type ConvPadding = 'same' | 'valid';
export const CONV_PADDINGS: readonly ConvPadding[] = ['same', 'valid'];

export type Primitive = keyof PrimitiveAttrs;

/** Every backend implements these. */
export const REQUIRED_PRIMITIVES = [
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'greaterEqual', 'equal', 'where',
  'neg', 'exp', 'log', 'sqrt', 'sign', 'clip', 'matmul', 'sum', 'max', 'reshape', 'transpose',
  'broadcastTo', 'argmax', 'oneHot',
] as const satisfies readonly Primitive[];
export type RequiredPrimitive = (typeof REQUIRED_PRIMITIVES)[number];

/** A backend may leave these out: the core then runs their host kernels (autodiff/host-kernels/). */
export const OPTIONAL_PRIMITIVES = [
  'conv2d', 'conv2dInputGrad', 'conv2dFilterGrad', 'maxPool', 'maxPoolGrad',
] as const satisfies readonly Primitive[];
export type OptionalPrimitive = (typeof OPTIONAL_PRIMITIVES)[number];

export const PRIMITIVES = [...REQUIRED_PRIMITIVES, ...OPTIONAL_PRIMITIVES] as const satisfies readonly Primitive[];

// Every primitive is exactly one of the two.
type Exactly<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const partitioned: Exactly<Primitive, RequiredPrimitive | OptionalPrimitive> = true;
void partitioned;

export const isOptionalPrimitive = (p: Primitive): p is OptionalPrimitive => (OPTIONAL_PRIMITIVES as readonly string[]).includes(p);

export const BINARY_PRIMITIVES = [
  'add', 'sub', 'mul', 'div', 'maximum', 'minimum', 'greater', 'greaterEqual', 'equal',
] as const satisfies readonly Primitive[];
export type BinaryPrimitive = (typeof BINARY_PRIMITIVES)[number];

export const UNARY_PRIMITIVES = ['neg', 'exp', 'log', 'sqrt', 'sign'] as const satisfies readonly Primitive[];
export type UnaryPrimitive = (typeof UNARY_PRIMITIVES)[number];
