/**
 * The pieces of the webgpu programs that run a bias-free ReLU MLP (weights W_l [d_(l-1), d_l]) one workgroup per
 * row and network (mlp-forward.ts, mlp-input-gradient.ts, mlp-attacks.ts): the forward pass layer by layer, the
 * logits-form cross-entropy's gradient, and the backward pass to the input, with a workgroupBarrier between
 * layers and the activations and cotangents in workgroup memory; each program is generated per network shape.
 *
 * They evaluate the float32 operations the compositions run on this backend, in their order, so the results equal
 * the compositions' bit for bit:
 * - each product element is the tiled product's (matmul.ts): `acc = acc + a * b` over the depth in order from
 *   +0, then the terms the tiling pads the depth with to a multiple of DEPTH, 0 * 0, whose zeros are opaque here
 *   as they are there (a flush of a subnormal sum to zero happens in both);
 * - the hidden layers' ReLU is the maximum kernel's on the bits, their backward mask mul(g, greater(h, 0)) as
 *   dense-relu.ts applies it;
 * - the loss's gradient is cross-entropy.ts's for the 'logits' form with the network's cotangent 1 (the
 *   gradient's seed), so a row's gradient g = -1 / n depends on the rows n per network, parameter word 2.
 * Every elementwise result passes through `kept` (kept-operations.ts).
 *
 * Parameter words: 0 the rows n per network, 1 the zero that `kept` applies, 2 n as float32; a program's own
 * from FIRST_ATTRIBUTE. The workgroup's x index is the row, its y index the network; `row` is the global row.
 */
import { sizeOf } from '../../../core/autodiff/shapes.js';
import { FLOAT_BITS_WGSL, floatBits } from '../shaders.js';
import type { Info } from './context.js';
import { BINARY } from './elementwise.js';
import { KEPT_OPERATIONS_WGSL } from './kept-operations.js';
import { PRODUCT_DEPTH_STEP } from './matmul.js';

export const LANES = 256;
/** Workgroups per dimension at most: x is the row, y the network. */
const MAX_GROUPS = 65535;
/** WebGPU's default maxComputeWorkgroupStorageSize, which the device is opened with. */
const WORKGROUP_STORAGE_WORDS = 16384 / 4;
/** The first parameter word of a program's own attributes. */
export const FIRST_ATTRIBUTE = 3;

/** The depth the tiled product walks: k rounded up to its depth step. */
export const paddedDepth = (k: number): number => Math.ceil(k / PRODUCT_DEPTH_STEP) * PRODUCT_DEPTH_STEP;

/** Workgroup words: every layer's output (the activations and the logits), and two cotangent buffers. */
export function workgroupWords(widths: readonly number[]): { activations: number; cotangent: number } {
  const outputs = widths.slice(1);
  return { activations: outputs.reduce((a, b) => a + b, 0), cotangent: Math.max(...outputs) };
}

/** One product element as the tiled product sums it: `term(q)` for q < k in order, then the padding. */
export const dotWgsl = (k: number, term: string): string => `
    var acc = 0.0;
    for (var q = 0u; q < ${k}u; q++) { acc = acc + ${term}; }
    for (var q = ${k}u; q < ${paddedDepth(k)}u; q++) { acc = acc + opaque_zero() * opaque_zero(); }`;

/** A network's shape and where its values live in workgroup memory. */
export class RowProgram {
  readonly layers: number;
  readonly classes: number;
  /** Layer l's output (1-based) starts at outputOffset[l] in `activations`; the logits are layer `layers`'. */
  readonly #outputOffset: number[] = [0];
  readonly #cotangentWords: number;
  readonly #activationWords: number;

  constructor(readonly widths: readonly number[]) {
    this.layers = widths.length - 1;
    this.classes = widths[this.layers]!;
    for (let l = 1; l <= this.layers; l++) this.#outputOffset.push(this.#outputOffset[l - 1]! + (l === 1 ? 0 : widths[l - 1]!));
    const { activations, cotangent } = workgroupWords(widths);
    [this.#activationWords, this.#cotangentWords] = [activations, cotangent];
  }

  /** The logits' class c (u32 bits) after the forward pass. */
  logit(c: string): string {
    return `activations[${this.#outputOffset[this.layers]!}u + ${c}]`;
  }

  /** Weight bindings w1..wL from binding `first`. */
  weightBindings(first: number): string[] {
    return Array.from({ length: this.layers }, (_, l) => `@group(0) @binding(${first + l}) var<storage, read> w${l + 1}: array<f32>;`);
  }

  /** Module-scope WGSL: the float and kept operations, the workgroup memory and the helpers of the passes. */
  header(): string {
    return /* wgsl */ `${FLOAT_BITS_WGSL}${KEPT_OPERATIONS_WGSL}
var<workgroup> activations: array<u32, ${this.#activationWords}>;
var<workgroup> cotangents: array<u32, ${2 * this.#cotangentWords}>;
fn opaque_zero() -> f32 { return f(p(1u)); }
fn relu(a: u32) -> u32 { let b = 0u; return ${BINARY.maximum}; }
fn positive(a: u32) -> u32 { let b = 0u; return ${BINARY.greater}; }
fn shifted(c: u32, m: u32) -> u32 { return sub_(${this.logit('c')}, m); }
`;
  }

  /** The forward pass of the row whose input element q is the f32 expression `input(q)`; ends with a barrier. */
  forward(input: (q: string) => string): string {
    const { widths, layers } = this;
    return Array.from({ length: layers }, (_, i) => {
      const l = i + 1;
      const [k, n] = [widths[l - 1]!, widths[l]!];
      const weight = `w${l}[network * ${k * n}u + q * ${n}u + j]`;
      const term = l === 1 ? input('q') : `f(activations[${this.#outputOffset[l - 1]!}u + q])`;
      const result = l === layers ? 'u(acc)' : 'relu(u(acc))';
      return `
  for (var j = lane; j < ${n}u; j += ${LANES}u) {${dotWgsl(k, `${term} * ${weight}`)}
    activations[${this.#outputOffset[l]!}u + j] = ${result};
  }
  workgroupBarrier();`;
    }).join('');
  }

  /**
   * The logits' cotangent (cross-entropy.ts's gradient for one row with the network's cotangent 1) against the
   * targets `target(c)` (u32 bits), computed by lane 0 after the forward pass; ends with a barrier.
   */
  crossEntropyGradient(target: (c: string) => string): string {
    const { classes } = this;
    return `
  if (lane == 0u) {
    // g = -1 / n, the cotangent of sum(targets * log_softmax).
    let g = div_(neg_(ONE), p(2u));
    var m = 0xff800000u;
    for (var c = 0u; c < ${classes}u; c++) { let v = ${this.logit('c')}; m = select(m, v, gt(v, m) || is_nan(v)); }
    var exp_sum = 0u;
    for (var c = 0u; c < ${classes}u; c++) { exp_sum = add_(exp_sum, exp_(shifted(c, m))); }
    var log_exp_sum_cotangent = 0u;
    for (var c = 0u; c < ${classes}u; c++) { log_exp_sum_cotangent = add_(log_exp_sum_cotangent, neg_(mul_(g, ${target('c')}))); }
    let exp_sum_cotangent = div_(log_exp_sum_cotangent, exp_sum);
    for (var c = 0u; c < ${classes}u; c++) {
      cotangents[${this.#cotangentBuffer(this.layers)}u + c] = add_(mul_(g, ${target('c')}), mul_(exp_sum_cotangent, exp_(shifted(c, m))));
    }
  }
  workgroupBarrier();`;
  }

  /**
   * The backward pass from the logits' cotangent to the input; `store(j, g)` consumes the input's element j, its
   * gradient g (u32 bits). Ends with a barrier.
   */
  backward(store: (j: string, g: string) => string): string {
    const { widths, layers } = this;
    return Array.from({ length: layers }, (_, i) => {
      const l = layers - i;
      const [k, n] = [widths[l - 1]!, widths[l]!];
      const term = `f(cotangents[${this.#cotangentBuffer(l)}u + q]) * w${l}[network * ${k * n}u + j * ${n}u + q]`;
      const stored = l === 1
        ? store('j', 'u(acc)')
        : `cotangents[${this.#cotangentBuffer(l - 1)}u + j] = mul_(u(acc), kept(positive(activations[${this.#outputOffset[l - 1]!}u + j])));`;
      return `
  for (var j = lane; j < ${k}u; j += ${LANES}u) {${dotWgsl(n, term)}
    ${stored}
  }
  workgroupBarrier();`;
    }).join('');
  }

  /** The workgroup words the passes use. */
  get workgroupWords(): number {
    return this.#activationWords + 2 * this.#cotangentWords;
  }

  /** Layer l's cotangent is read from buffer (layers - l) % 2 and the next one written to the other. */
  #cotangentBuffer(l: number): number {
    return ((this.layers - l) % 2) * this.#cotangentWords;
  }
}

/** The entry point's signature and the row: group.x the row within the network, group.y the network. */
export const ENTRY_WGSL = /* wgsl */ `
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let network = group.y;
  let row = network * p(0u) + group.x;`;

export interface Network {
  /** [d_0, ..., d_L]. */
  readonly widths: number[];
  readonly networks: number;
  readonly rows: number;
}

/** What a program binds and holds besides the weights and the passes' workgroup memory. */
export interface RowNeeds {
  /** Tensors [..., n, d_0] laid out as x (noise), and [..., n, d_L] (targets). */
  readonly likeX?: readonly Info[];
  readonly likeLogits?: readonly Info[];
  /** Storage buffers besides the weights. */
  readonly otherBuffers: number;
  /** Workgroup words besides the passes', given the widths. */
  readonly extraWords?: (widths: readonly number[]) => number;
}

/**
 * The layout of x [n, d_0] and weights W_l [d_(l-1), d_l] (and `needs`' tensors), each with or each without one
 * leading axis T; undefined to decline: anything but float32, an empty tensor, mismatched widths, more rows or
 * networks than workgroups per dimension, more buffers than the device binds, or more workgroup memory than it has.
 */
export function networkOf(x: Info, weights: readonly Info[], needs: RowNeeds, maxStorageBuffers: number): Network | undefined {
  const [likeX, likeLogits] = [needs.likeX ?? [], needs.likeLogits ?? []];
  const all = [x, ...likeX, ...likeLogits, ...weights];
  const rank = x.shape.length;
  if (weights.length === 0 || weights.length + needs.otherBuffers > maxStorageBuffers) return undefined;
  if ((rank !== 2 && rank !== 3) || all.some((t) => t.shape.length !== rank || t.dtype !== 'float32' || sizeOf(t.shape) === 0)) return undefined;
  const networks = rank === 3 ? x.shape[0]! : 1;
  if (all.some((t) => rank === 3 && t.shape[0] !== networks)) return undefined;
  const [matrix, rows] = [(t: Info) => t.shape.slice(-2) as [number, number], x.shape.at(-2)!];
  const widths = [matrix(x)[1], ...weights.map((w) => matrix(w)[1])];
  if (weights.some((w, l) => matrix(w)[0] !== widths[l])) return undefined;
  const laidOut = (ts: readonly Info[], width: number) => ts.every((t) => matrix(t)[0] === rows && matrix(t)[1] === width);
  if (!laidOut(likeX, widths[0]!) || !laidOut(likeLogits, widths.at(-1)!)) return undefined;
  const words = new RowProgram(widths).workgroupWords + (needs.extraWords?.(widths) ?? 0);
  if (words > WORKGROUP_STORAGE_WORDS || rows > MAX_GROUPS || networks > MAX_GROUPS) return undefined;
  return { widths, networks, rows };
}

/** The parameter words of a dispatch over `rows` rows per network, then the attributes' words. */
export const rowParams = (rows: number, attributes: readonly number[] = []): number[] => [rows, 0, floatBits(rows), ...attributes];
