/**
 * The webgpu kernel of the custom op mlpInputGradient (core/nn/custom-ops.ts): the attacks' gradient with respect
 * to x [n, d_0] of the logits-form cross-entropy of a bias-free ReLU MLP, weights W_l [d_(l-1), d_l], as one
 * dispatch of one workgroup per row and network (T stacked networks: x [T, n, d_0], targets [T, n, d_L], weights
 * [T, d_(l-1), d_l]; each network's cotangent is 1, as the sum of their losses gives it). The workgroup runs the forward pass layer by layer, the cross-entropy's
 * gradient, and the backward pass to x, with a workgroupBarrier between layers and the activations and
 * cotangents in workgroup memory; the program is generated per network shape (the widths are constants).
 *
 * It evaluates the float32 operations the composition runs on this backend, in their order, so the result equals
 * the composition's bit for bit:
 * - each product element is the tiled product's (matmul.ts): `acc = acc + a * b` over the depth in order from
 *   +0, then the terms the tiling pads the depth with to a multiple of DEPTH, 0 * 0, whose zeros are opaque here
 *   as they are there (a flush of a subnormal sum to zero happens in both);
 * - the hidden layers' ReLU is the maximum kernel's on the bits, their backward mask mul(g, greater(h, 0)) as
 *   dense-relu.ts applies it;
 * - the loss's gradient is cross-entropy.ts's for the 'logits' form with the cotangent 1 (the gradient's seed).
 * Every elementwise result passes through `kept` (kept-operations.ts).
 *
 * Declines (the composition runs) for anything but float32 matrices of matching widths, or stacks of them with
 * one leading axis T (an x shared by the stack declines: its gradient sums over the networks), none empty, more
 * rows or networks than workgroups per dimension, more weights than the device binds, or activations beyond workgroup memory.
 */
import { sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { FLOAT_BITS_WGSL, floatBits } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { BINARY } from './elementwise.js';
import { KEPT_OPERATIONS_WGSL } from './kept-operations.js';
import { PRODUCT_DEPTH_STEP } from './matmul.js';

const LANES = 256;
/** Workgroups per dimension at most: x is the row, y the network. */
const MAX_GROUPS = 65535;
/** WebGPU's default maxComputeWorkgroupStorageSize, which the device is opened with. */
const WORKGROUP_STORAGE_WORDS = 16384 / 4;
/** Storage buffers besides the weights: x, targets and the gradient. */
const OTHER_BUFFERS = 3;

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

function source(widths: readonly number[]): string {
  const layers = widths.length - 1;
  const { activations, cotangent } = workgroupWords(widths);
  const classes = widths[layers]!;
  // Layer l's output (1-based) starts at outputOffset[l] in `activations`; the logits are layer `layers`'.
  const outputOffset = [0];
  for (let l = 1; l <= layers; l++) outputOffset.push(outputOffset[l - 1]! + (l === 1 ? 0 : widths[l - 1]!));
  const logitsOffset = outputOffset[layers]!;
  const bindings = [
    '@group(0) @binding(1) var<storage, read> x: array<f32>;',
    '@group(0) @binding(2) var<storage, read> targets: array<u32>;',
    ...Array.from({ length: layers }, (_, l) => `@group(0) @binding(${l + 3}) var<storage, read> w${l + 1}: array<f32>;`),
    `@group(0) @binding(${layers + 3}) var<storage, read_write> gradient: array<u32>;`,
  ];
  const forward = Array.from({ length: layers }, (_, i) => {
    const l = i + 1;
    const [k, n] = [widths[l - 1]!, widths[l]!];
    const weight = `w${l}[network * ${k * n}u + q * ${n}u + j]`;
    const input = l === 1 ? `x[row * ${k}u + q]` : `f(activations[${outputOffset[l - 1]!}u + q])`;
    const result = l === layers ? 'u(acc)' : 'relu(u(acc))';
    return `
  for (var j = lane; j < ${n}u; j += ${LANES}u) {${dotWgsl(k, `${input} * ${weight}`)}
    activations[${outputOffset[l]!}u + j] = ${result};
  }
  workgroupBarrier();`;
  }).join('');
  // Layer l's cotangent is read from buffer (layers - l) % 2 and the next one written to the other.
  const buffer = (l: number) => ((layers - l) % 2) * cotangent;
  const backward = Array.from({ length: layers }, (_, i) => {
    const l = layers - i;
    const [k, n] = [widths[l - 1]!, widths[l]!];
    const term = `f(cotangents[${buffer(l)}u + q]) * w${l}[network * ${k * n}u + j * ${n}u + q]`;
    const store = l === 1
      ? `gradient[row * ${k}u + j] = u(acc);`
      : `cotangents[${buffer(l - 1)}u + j] = mul_(u(acc), kept(positive(activations[${outputOffset[l - 1]!}u + j])));`;
    return `
  for (var j = lane; j < ${k}u; j += ${LANES}u) {${dotWgsl(n, term)}
    ${store}
  }
  workgroupBarrier();`;
  }).join('');
  const logit = (c: string) => `activations[${logitsOffset}u + ${c}]`;
  const target = (c: string) => `targets[row * ${classes}u + ${c}]`;
  return /* wgsl */ `${FLOAT_BITS_WGSL}${KEPT_OPERATIONS_WGSL}${bindings.join('\n')}
var<workgroup> activations: array<u32, ${activations}>;
var<workgroup> cotangents: array<u32, ${2 * cotangent}>;
fn opaque_zero() -> f32 { return f(p(1u)); }
fn relu(a: u32) -> u32 { let b = 0u; return ${BINARY.maximum}; }
fn positive(a: u32) -> u32 { let b = 0u; return ${BINARY.greater}; }
fn shifted(c: u32, m: u32) -> u32 { return sub_(${logit('c')}, m); }

@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let network = group.y;
  let row = network * p(0u) + group.x;${forward}
  if (lane == 0u) {
    // cross-entropy.ts's gradient for one row: g = -1 / n, the cotangent of sum(targets * log_softmax).
    let g = div_(neg_(ONE), p(2u));
    var m = 0xff800000u;
    for (var c = 0u; c < ${classes}u; c++) { let v = ${logit('c')}; m = select(m, v, gt(v, m) || is_nan(v)); }
    var exp_sum = 0u;
    for (var c = 0u; c < ${classes}u; c++) { exp_sum = add_(exp_sum, exp_(shifted(c, m))); }
    var log_exp_sum_cotangent = 0u;
    for (var c = 0u; c < ${classes}u; c++) { log_exp_sum_cotangent = add_(log_exp_sum_cotangent, neg_(mul_(g, ${target('c')}))); }
    let exp_sum_cotangent = div_(log_exp_sum_cotangent, exp_sum);
    for (var c = 0u; c < ${classes}u; c++) {
      cotangents[${buffer(layers)}u + c] = add_(mul_(g, ${target('c')}), mul_(exp_sum_cotangent, exp_(shifted(c, m))));
    }
  }
  workgroupBarrier();${backward}
}
`;
}

export interface Network {
  /** [d_0, ..., d_L]. */
  readonly widths: number[];
  readonly networks: number;
  readonly rows: number;
}

/**
 * The layout of x [n, d_0], targets [n, d_L] and weights W_l [d_(l-1), d_l], each with or each without one leading
 * axis T; undefined to decline (also where the weights and `otherBuffers` are more storage buffers than the device binds).
 */
export function networkOf(x: Info, targets: Info, weights: readonly Info[], maxStorageBuffers: number, otherBuffers = OTHER_BUFFERS): Network | undefined {
  const all = [x, targets, ...weights];
  const rank = x.shape.length;
  if (weights.length === 0 || weights.length + otherBuffers > maxStorageBuffers) return undefined;
  if ((rank !== 2 && rank !== 3) || all.some((t) => t.shape.length !== rank || t.dtype !== 'float32' || sizeOf(t.shape) === 0)) return undefined;
  const networks = rank === 3 ? x.shape[0]! : 1;
  if (all.some((t) => rank === 3 && t.shape[0] !== networks)) return undefined;
  const [matrix, rows] = [(t: Info) => t.shape.slice(-2) as [number, number], x.shape.at(-2)!];
  const widths = [matrix(x)[1], ...weights.map((w) => matrix(w)[1])];
  if (weights.some((w, l) => matrix(w)[0] !== widths[l]) || matrix(targets)[0] !== rows || matrix(targets)[1] !== widths.at(-1)) return undefined;
  const { activations, cotangent } = workgroupWords(widths);
  if (activations + 2 * cotangent > WORKGROUP_STORAGE_WORDS || rows > MAX_GROUPS || networks > MAX_GROUPS) return undefined;
  return { widths, networks, rows };
}

export function mlpInputGradientKernels(ctx: KernelContext, maxStorageBuffers: number): Pick<LibraryKernels<WebgpuHandle>, 'mlpInputGradient'> {
  return {
    mlpInputGradient: ({ x, targets, weights }) => {
      const network = networkOf(x, targets, weights, maxStorageBuffers);
      if (!network) return undefined;
      const { widths, networks, rows } = network;
      const gradient = ctx.output(sizeOf(x.shape));
      const program = ctx.programs.get(`custom:mlpInputGradient:${widths.join('-')}`, 2 + weights.length, () => source(widths));
      const buffers = [x.handle.buffer, targets.handle.buffer, ...weights.map((w) => w.handle.buffer), gradient.buffer];
      ctx.queue.dispatch(program, buffers, [rows, 0, floatBits(rows)], [rows, networks, 1]);
      return [gradient];
    },
  };
}
