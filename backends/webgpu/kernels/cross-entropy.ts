/**
 * The webgpu kernels of the custom ops crossEntropy and crossEntropyGradient (core/nn/custom-ops.ts): softmax,
 * cross-entropy and its gradient with respect to the logits, one dispatch each, in both loss forms, on logits
 * and targets [..., n, classes] (the leading axes are the stacked networks).
 *
 * Each evaluates the float32 operations that its composition's primitive kernels would run, in their order:
 * the reductions walk the classes (or rows) in order from 0 as reduce.ts does, each operation is the WGSL
 * expression of its primitive kernel (kept-operations.ts), and the gradient follows the backward pass of
 * core/autodiff/grad.ts through core/nn/loss.ts's composition rule by rule (core/autodiff/vjp.ts), the
 * cotangents of a tensor used twice added in the order that pass adds them. So the results equal the
 * composition's on the same device, bit for bit. Per-row values (the maximum, the sums) are recomputed where
 * needed rather than stored: recomputing an operation on the same bits gives the same bits.
 */
import { sameShape, sizeOf } from '../../../core/autodiff/shapes.js';
import { KERAS_EPSILON, LOSS_FORMS, type LossForm } from '../../../core/nn/loss-forms.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { FLOAT_BITS_WGSL, WORKGROUP, elementGroups, floatBits, perElement } from '../shaders.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { KEPT_OPERATIONS_WGSL } from './kept-operations.js';

/** Workgroups per dimension at most: the forward kernel runs one workgroup per network. */
const MAX_NETWORKS = 65535;

/**
 * Parameter words: 0 the invocations (networks, or rows for the gradient), 1 the zero of `kept`, 2 the rows n
 * per network, 3 the classes, 4 n as float32 (the mean's divisor), 5 and 6 the probability clip's bounds.
 */
const params = (invocations: number, rows: number, classes: number): number[] =>
  [invocations, 0, rows, classes, floatBits(rows), floatBits(KERAS_EPSILON), floatBits(1 - KERAS_EPSILON)];

/**
 * A row's reductions and its elements as functions of the class c: shifted = z - max(z), log_softmax = shifted -
 * log(sum(exp(shifted))) (autodiff/ops.ts), and for the clipped form p = exp(log_softmax), ratio = p / sum(p),
 * clipped = clip(ratio, p(5), p(6)) (nn/loss.ts); row_loss is the row's sum(targets * log p). The shader that
 * includes it defines logit_at(r, c) and target_at(r, c), where the row's logits and targets are, and passes the
 * classes in parameter word 3 and the clip's bounds in words 5 and 6 (mlp-training-gradients.ts shares it).
 */
export const rowWgsl = (form: LossForm) => /* wgsl */ `
struct Row { base: u32, max: u32, exp_sum: u32, log_exp_sum: u32, probability_sum: u32 }
fn shifted(r: Row, c: u32) -> u32 { return sub_(logit_at(r, c), r.max); }
fn log_softmax(r: Row, c: u32) -> u32 { return sub_(shifted(r, c), r.log_exp_sum); }
fn probability(r: Row, c: u32) -> u32 { return exp_(log_softmax(r, c)); }
fn ratio(r: Row, c: u32) -> u32 { return div_(probability(r, c), r.probability_sum); }
fn clipped(r: Row, c: u32) -> u32 { return clip_(ratio(r, c), p(5u), p(6u)); }
fn log_probability(r: Row, c: u32) -> u32 { return ${form === 'logits' ? 'log_softmax(r, c)' : 'log_(clipped(r, c))'}; }
fn row_at(base: u32) -> Row {
  var r: Row;
  r.base = base;
  var m = 0xff800000u;
  for (var c = 0u; c < p(3u); c++) { let v = logit_at(r, c); m = select(m, v, gt(v, m) || is_nan(v)); }
  r.max = m;
  var s = 0u;
  for (var c = 0u; c < p(3u); c++) { s = add_(s, exp_(shifted(r, c))); }
  r.exp_sum = s;
  r.log_exp_sum = log_(s);
  r.probability_sum = 0u;
  ${form === 'logits' ? '' : 'for (var c = 0u; c < p(3u); c++) { r.probability_sum = add_(r.probability_sum, probability(r, c)); }'}
  return r;
}
fn row_loss(r: Row) -> u32 {
  var acc = 0u;
  for (var c = 0u; c < p(3u); c++) { acc = add_(acc, mul_(target_at(r, c), log_probability(r, c))); }
  return acc;
}
`;

const BINDINGS = /* wgsl */ `
@group(0) @binding(1) var<storage, read> logits: array<u32>;
@group(0) @binding(2) var<storage, read> targets: array<u32>;
fn logit_at(r: Row, c: u32) -> u32 { return logits[r.base + c]; }
fn target_at(r: Row, c: u32) -> u32 { return targets[r.base + c]; }
`;

/**
 * The loss per network, one workgroup each: its lanes compute rows' sum(targets * log p) into `row_losses`,
 * then lane 0 sums them in row order, divides by n and negates.
 */
const forwardSource = (form: LossForm) => `${FLOAT_BITS_WGSL}${KEPT_OPERATIONS_WGSL}${BINDINGS}
@group(0) @binding(3) var<storage, read_write> loss: array<u32>;
@group(0) @binding(4) var<storage, read_write> row_losses: array<u32>;
${rowWgsl(form)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let first = group.x * p(2u);
  for (var row = lane; row < p(2u); row += ${WORKGROUP}u) { row_losses[first + row] = row_loss(row_at((first + row) * p(3u))); }
  storageBarrier();
  if (lane == 0u) {
    var acc = 0u;
    for (var row = 0u; row < p(2u); row++) { acc = add_(acc, row_losses[first + row]); }
    loss[group.x] = neg_(div_(acc, p(4u)));
  }
}
`;

/**
 * The cotangent of log_softmax's output at class c, given g, the cotangent that reaches the row's sum(targets *
 * log p) (the network's cotangent negated and divided by n: the neg and mean rules), and for the clipped form
 * ratio_sum_cotangent, the cotangent of sum(p) (the div rule's second output, summed over the classes). Then
 * row_gradient: shifted's cotangent is log_softmax's plus exp's, exp(shifted) times the cotangent of
 * sum(exp(shifted)), which is the log rule's (sum over classes of -log_softmax's cotangent) / sum; it hands each
 * class's to store_logit_cotangent(r, c, value), which the including shader defines.
 */
export const cotangentWgsl = (form: LossForm) => (form === 'logits' ? /* wgsl */ `
fn log_softmax_cotangent(r: Row, c: u32, g: u32, ratio_sum_cotangent: u32) -> u32 { return mul_(g, target_at(r, c)); }
fn ratio_sum_cotangent_of(r: Row, g: u32) -> u32 { return 0u; }
` : /* wgsl */ `
fn ratio_cotangent(r: Row, c: u32, g: u32) -> u32 {
  let x = ratio(r, c);
  let clipped_cotangent = div_(mul_(g, target_at(r, c)), clip_(x, p(5u), p(6u)));
  return mul_(clipped_cotangent, mul_(greater_equal_(x, p(5u)), greater_equal_(p(6u), x)));
}
fn ratio_sum_cotangent_of(r: Row, g: u32) -> u32 {
  var acc = 0u;
  for (var c = 0u; c < p(3u); c++) { acc = add_(acc, neg_(mul_(ratio_cotangent(r, c, g), div_(ratio(r, c), r.probability_sum)))); }
  return acc;
}
fn log_softmax_cotangent(r: Row, c: u32, g: u32, ratio_sum_cotangent: u32) -> u32 {
  let probability_cotangent = add_(div_(ratio_cotangent(r, c, g), r.probability_sum), ratio_sum_cotangent);
  return mul_(probability_cotangent, probability(r, c));
}
`) + /* wgsl */ `
fn row_gradient(r: Row, g: u32) {
  let ratio_sum_cotangent = ratio_sum_cotangent_of(r, g);
  var log_exp_sum_cotangent = 0u;
  for (var c = 0u; c < p(3u); c++) { log_exp_sum_cotangent = add_(log_exp_sum_cotangent, neg_(log_softmax_cotangent(r, c, g, ratio_sum_cotangent))); }
  let exp_sum_cotangent = div_(log_exp_sum_cotangent, r.exp_sum);
  for (var c = 0u; c < p(3u); c++) {
    store_logit_cotangent(r, c, add_(log_softmax_cotangent(r, c, g, ratio_sum_cotangent), mul_(exp_sum_cotangent, exp_(shifted(r, c)))));
  }
}
`;

/** The gradient, one invocation per row (cotangentWgsl, row_gradient). */
const gradientSource = (form: LossForm) => `${FLOAT_BITS_WGSL}${KEPT_OPERATIONS_WGSL}${BINDINGS}
@group(0) @binding(3) var<storage, read> cotangent: array<u32>;
@group(0) @binding(4) var<storage, read_write> gradient: array<u32>;
fn store_logit_cotangent(r: Row, c: u32, value: u32) { gradient[r.base + c] = value; }
${rowWgsl(form)}${cotangentWgsl(form)}
${perElement(`  row_gradient(row_at(i * p(3u)), div_(neg_(cotangent[i / p(2u)]), p(4u)));`)}`;

interface Layout {
  readonly networks: number;
  readonly rows: number;
  readonly classes: number;
}

/** The layout of logits and targets of one float32 shape [..., n, classes], none of it empty; else undefined (decline). */
function layoutOf(logits: Info, targets: Info, form: LossForm): Layout | undefined {
  const { shape } = logits;
  if (shape.length < 2 || !sameShape(shape, targets.shape) || logits.dtype !== 'float32' || targets.dtype !== 'float32') return undefined;
  if (!LOSS_FORMS.includes(form) || sizeOf(shape) === 0) return undefined;
  const layout = { networks: sizeOf(shape.slice(0, -2)), rows: shape.at(-2)!, classes: shape.at(-1)! };
  return layout.networks <= MAX_NETWORKS ? layout : undefined;
}

export function crossEntropyKernels(ctx: KernelContext): Pick<LibraryKernels<WebgpuHandle>, 'crossEntropy' | 'crossEntropyGradient'> {
  return {
    crossEntropy: ({ logits, targets }, { form }) => {
      const layout = layoutOf(logits, targets, form);
      if (!layout) return undefined;
      const { networks, rows, classes } = layout;
      const loss = ctx.output(networks);
      const rowLosses = ctx.output(networks * rows);
      const program = ctx.programs.get(`custom:crossEntropy:${form}`, 2, () => forwardSource(form), 2);
      ctx.queue.dispatch(program, [logits.handle.buffer, targets.handle.buffer, loss.buffer, rowLosses.buffer], params(networks, rows, classes), [networks, 1, 1]);
      ctx.release(rowLosses);
      return [loss];
    },
    crossEntropyGradient: ({ logits, targets, cotangent }, { form }) => {
      const layout = layoutOf(logits, targets, form);
      if (!layout || cotangent.dtype !== 'float32' || !sameShape(cotangent.shape, logits.shape.slice(0, -2))) return undefined;
      const { networks, rows, classes } = layout;
      const gradient = ctx.output(networks * rows * classes);
      const program = ctx.programs.get(`custom:crossEntropyGradient:${form}`, 3, () => gradientSource(form));
      const buffers = [logits.handle.buffer, targets.handle.buffer, cotangent.handle.buffer, gradient.buffer];
      ctx.queue.dispatch(program, buffers, params(networks * rows, rows, classes), elementGroups(networks * rows));
      return [gradient];
    },
  };
}
