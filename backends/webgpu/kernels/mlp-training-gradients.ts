/**
 * The webgpu kernel of the custom op mlpTrainingGradients (core/nn/custom-ops.ts): a training step's loss and its
 * gradient with respect to the weights W_l [d_(l-1), d_l] of a bias-free ReLU MLP, on one batch x [n, d_0] or on a
 * clean and an adversarial batch (0.5 CE + 0.5 CE), in either loss form, as two dispatches (T stacked networks:
 * every input with a leading axis T, the loss [T]).
 *
 * Dispatch 1, one workgroup per row, network and batch: the forward pass layer by layer (as mlp-input-gradient.ts,
 * the activations in workgroup memory), the row's sum(targets * log p) and the cotangent of its logits (lane 0,
 * with cross-entropy.ts's row functions), then the backward pass to every layer's masked pre-activation cotangent
 * G_l. It writes the hidden activations, every G_l and the row's loss term to a scratch buffer. Dispatch 2, one
 * invocation per weight-gradient element of every layer and per network's loss: dW_l = A_(l-1)^T G_l summed over
 * the rows, and the loss from the row terms.
 *
 * Both evaluate the float32 operations that reverse-mode autodiff of the composition (nn/train-step.ts,
 * classifierLoss) runs on this backend, in their order, so the outputs equal the composition's bit for bit:
 * - the products (forward, backward and the weight gradients) are the tiled product's elements (matmul.ts): the
 *   depth summed in order from +0, then the padding terms 0 * 0 (mlp-rows.ts, dotWgsl);
 * - the seed reaching each cross-entropy is 1, or with two batches mul(1, 0.5) (the mul rule), the same for both;
 *   the loss's mean and the row terms are cross-entropy.ts's, then add(clean, adversarial) and mul by 0.5;
 * - autodiff walks the tape backwards, so the adversarial batch's weight gradient comes first and the clean one
 *   is added to it: add(adversarial, clean).
 *
 * Declines (the composition runs) for l1 > 0, more than two batches or batches of different shapes, an x shared by
 * stacked networks, and what mlp-input-gradient.ts declines, or where the scratch buffer would pass the smallest
 * storage-buffer binding size a device has.
 */
import { sameShape, sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { KERAS_EPSILON, LOSS_FORMS, type LossForm } from '../../../core/nn/loss-forms.js';
import { FLOAT_BITS_WGSL, WORKGROUP, elementGroups, floatBits } from '../shaders.js';
import type { KernelContext, WebgpuHandle } from './context.js';
import { cotangentWgsl, rowWgsl } from './cross-entropy.js';
import { BINARY } from './elementwise.js';
import { KEPT_OPERATIONS_WGSL } from './kept-operations.js';
import { PRODUCT_DEPTH_STEP } from './matmul.js';
import { dotWgsl, networkOf, workgroupWords } from './mlp-rows.js';

const LANES = 256;
/** WebGPU's default maxStorageBufferBindingSize: the scratch buffer is bound whole. */
const MAX_SCRATCH_BYTES = 128 * 1024 * 1024;

/**
 * Parameter words: 0 the rows n per batch and network, 1 the zero of `kept`, 2 the cotangent seed of each
 * cross-entropy (1, or 0.5 with two batches), 3 the classes, 4 n as float32, 5 and 6 the probability clip's
 * bounds (3 to 6 as cross-entropy.ts's row functions read them), 7 the loss's 0.5, 8 the networks T, 9 the
 * samples S = batches * T * n, 10 dispatch 2's invocations.
 */
const params = (rows: number, batches: number, networks: number, classes: number, invocations: number): number[] => [
  rows, 0, floatBits(batches === 2 ? 0.5 : 1), classes, floatBits(rows), floatBits(KERAS_EPSILON), floatBits(1 - KERAS_EPSILON),
  floatBits(0.5), networks, batches * networks * rows, invocations,
];

/**
 * Where the scratch buffer keeps things, in multiples of S words (sample s = (batch * T + network) * n + row):
 * hidden layer l's activations [S, d_l] (l = 1 .. L-1), then every layer's cotangent G_l [S, d_l] (l = 1 .. L),
 * then the rows' loss terms [S].
 */
function scratchLayout(widths: readonly number[]): { activation: number[]; cotangent: number[]; loss: number; words: number } {
  const layers = widths.length - 1;
  const activation: number[] = [];
  const cotangent: number[] = [];
  let at = 0;
  for (let l = 1; l < layers; l++) (activation[l] = at, at += widths[l]!);
  for (let l = 1; l <= layers; l++) (cotangent[l] = at, at += widths[l]!);
  return { activation, cotangent, loss: at, words: at + 1 };
}

/** The batches' x as one function: the clean batch in x0, the adversarial one in x1. */
const inputWgsl = (batches: number): string => (batches === 1
  ? 'fn x_at(b: u32, i: u32) -> f32 { return x0[i]; }'
  : 'fn x_at(b: u32, i: u32) -> f32 { if (b == 0u) { return x0[i]; } return x1[i]; }');

const xBindings = (batches: number): string[] =>
  Array.from({ length: batches }, (_, b) => `@group(0) @binding(${b + 1}) var<storage, read> x${b}: array<f32>;`);

const COMMON_WGSL = /* wgsl */ `${FLOAT_BITS_WGSL}${KEPT_OPERATIONS_WGSL}
fn opaque_zero() -> f32 { return f(p(1u)); }
`;

/** Dispatch 1: the rows' forward and backward passes. */
function rowsSource(widths: readonly number[], batches: number, form: LossForm): string {
  const layers = widths.length - 1;
  const { activations, cotangent } = workgroupWords(widths);
  const scratch = scratchLayout(widths);
  const outputOffset = [0];
  for (let l = 1; l <= layers; l++) outputOffset.push(outputOffset[l - 1]! + (l === 1 ? 0 : widths[l - 1]!));
  const logitsOffset = outputOffset[layers]!;
  const bindings = [
    ...xBindings(batches),
    `@group(0) @binding(${batches + 1}) var<storage, read> targets: array<u32>;`,
    ...Array.from({ length: layers }, (_, l) => `@group(0) @binding(${batches + 2 + l}) var<storage, read> w${l + 1}: array<f32>;`),
    `@group(0) @binding(${batches + 2 + layers}) var<storage, read_write> scratch: array<u32>;`,
  ];
  // Layer l's cotangent is read from workgroup buffer (layers - l) % 2 and the next one written to the other.
  const buffer = (l: number) => ((layers - l) % 2) * cotangent;
  const stored = (l: number, j: string) => `scratch[p(9u) * ${scratch.cotangent[l]!}u + sample_index * ${widths[l]!}u + ${j}]`;
  const forward = Array.from({ length: layers }, (_, i) => {
    const l = i + 1;
    const [k, n] = [widths[l - 1]!, widths[l]!];
    const weight = `w${l}[network * ${k * n}u + q * ${n}u + j]`;
    const input = l === 1 ? `x_at(batch, row * ${k}u + q)` : `f(activations[${outputOffset[l - 1]!}u + q])`;
    const store = l === layers
      ? `activations[${outputOffset[l]!}u + j] = u(acc);`
      : `let h = relu(u(acc));
    activations[${outputOffset[l]!}u + j] = h;
    scratch[p(9u) * ${scratch.activation[l]!}u + sample_index * ${n}u + j] = h;`;
    return `
  for (var j = lane; j < ${n}u; j += ${LANES}u) {${dotWgsl(k, `${input} * ${weight}`)}
    ${store}
  }
  workgroupBarrier();`;
  }).join('');
  const backward = Array.from({ length: layers - 1 }, (_, i) => {
    const l = layers - i;
    const [k, n] = [widths[l - 1]!, widths[l]!];
    const term = `f(cotangents[${buffer(l)}u + q]) * w${l}[network * ${k * n}u + j * ${n}u + q]`;
    return `
  for (var j = lane; j < ${k}u; j += ${LANES}u) {${dotWgsl(n, term)}
    let g = mul_(u(acc), kept(positive(activations[${outputOffset[l - 1]!}u + j])));
    cotangents[${buffer(l - 1)}u + j] = g;
    ${stored(l - 1, 'j')} = g;
  }
  workgroupBarrier();`;
  }).join('');
  return /* wgsl */ `${COMMON_WGSL}${bindings.join('\n')}
var<workgroup> activations: array<u32, ${activations}>;
var<workgroup> cotangents: array<u32, ${2 * cotangent}>;
var<private> sample_index: u32;
fn relu(a: u32) -> u32 { let b = 0u; return ${BINARY.maximum}; }
fn positive(a: u32) -> u32 { let b = 0u; return ${BINARY.greater}; }
${inputWgsl(batches)}
fn logit_at(r: Row, c: u32) -> u32 { return activations[${logitsOffset}u + c]; }
fn target_at(r: Row, c: u32) -> u32 { return targets[r.base + c]; }
fn store_logit_cotangent(r: Row, c: u32, value: u32) {
  cotangents[${buffer(layers)}u + c] = value;
  ${stored(layers, 'c')} = value;
}
${rowWgsl(form)}${cotangentWgsl(form)}
@compute @workgroup_size(${LANES})
fn main(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let network = group.y;
  let batch = group.z;
  let row = network * p(0u) + group.x;
  sample_index = (batch * p(8u) + network) * p(0u) + group.x;${forward}
  if (lane == 0u) {
    let r = row_at(row * p(3u));
    scratch[p(9u) * ${scratch.loss}u + sample_index] = row_loss(r);
    row_gradient(r, div_(neg_(p(2u)), p(4u)));
  }
  workgroupBarrier();${backward}
}
`;
}

/** Dispatch 2: every layer's weight gradient, one invocation per element, after one per network's loss. */
function weightsSource(widths: readonly number[], batches: number, networks: number): string {
  const layers = widths.length - 1;
  const scratch = scratchLayout(widths);
  const bindings = [
    ...xBindings(batches),
    `@group(0) @binding(${batches + 1}) var<storage, read> scratch: array<u32>;`,
    ...Array.from({ length: layers }, (_, l) => `@group(0) @binding(${batches + 2 + l}) var<storage, read_write> dw${l + 1}: array<u32>;`),
    `@group(0) @binding(${batches + 2 + layers}) var<storage, read_write> loss: array<u32>;`,
  ];
  const sample = (b: number) => `((${b}u * p(8u) + t) * p(0u) + q)`;
  const part = (l: number, b: number) => {
    const a = l === 1
      ? `x_at(${b}u, (t * p(0u) + q) * ${widths[0]!}u + i)`
      : `f(scratch[p(9u) * ${scratch.activation[l - 1]!}u + ${sample(b)} * ${widths[l - 1]!}u + i])`;
    const g = `f(scratch[p(9u) * ${scratch.cotangent[l]!}u + ${sample(b)} * ${widths[l]!}u + j])`;
    return `
    var acc${b} = 0.0;
    for (var q = 0u; q < p(0u); q++) { acc${b} = acc${b} + ${a} * ${g}; }
    for (var q = p(0u); q < padded; q++) { acc${b} = acc${b} + opaque_zero() * opaque_zero(); }`;
  };
  let start = networks;
  const gradients = Array.from({ length: layers }, (_, index) => {
    const l = index + 1;
    const [k, n] = [widths[l - 1]!, widths[l]!];
    const first = start;
    start += networks * k * n;
    return `
  if (e < ${start}u) {
    let element = e - ${first}u;
    let t = element / ${k * n}u;
    let i = (element % ${k * n}u) / ${n}u;
    let j = element % ${n}u;${Array.from({ length: batches }, (_, b) => part(l, b)).join('')}
    dw${l}[element] = ${batches === 2 ? 'add_(u(acc1), u(acc0))' : 'u(acc0)'};
    return;
  }`;
  }).join('');
  const crossEntropy = (b: number) => `
    var sum${b} = 0u;
    for (var q = 0u; q < p(0u); q++) { sum${b} = add_(sum${b}, scratch[p(9u) * ${scratch.loss}u + ${sample(b)}]); }
    let ce${b} = neg_(div_(sum${b}, p(4u)));`;
  return /* wgsl */ `${COMMON_WGSL}${bindings.join('\n')}
${inputWgsl(batches)}
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let e = gid.y * groups.x * ${WORKGROUP}u + gid.x;
  if (e >= p(10u)) { return; }
  let padded = (p(0u) + ${PRODUCT_DEPTH_STEP - 1}u) / ${PRODUCT_DEPTH_STEP}u * ${PRODUCT_DEPTH_STEP}u;
  if (e < ${networks}u) {
    let t = e;${Array.from({ length: batches }, (_, b) => crossEntropy(b)).join('')}
    loss[t] = ${batches === 2 ? 'mul_(add_(ce0, ce1), p(7u))' : 'ce0'};
    return;
  }${gradients}
}
`;
}

export function mlpTrainingGradientsKernels(ctx: KernelContext, maxStorageBuffers: number): Pick<LibraryKernels<WebgpuHandle>, 'mlpTrainingGradients'> {
  return {
    mlpTrainingGradients: ({ batches, targets, weights }, { l1, loss: form }) => {
      const count = batches.length;
      if (l1 !== 0 || !LOSS_FORMS.includes(form) || (count !== 1 && count !== 2)) return undefined;
      if (batches.some((x) => !sameShape(x.shape, batches[0]!.shape) || x.dtype !== 'float32')) return undefined;
      const network = networkOf(batches[0]!, weights, { likeLogits: [targets], otherBuffers: count + 2 }, maxStorageBuffers);
      if (!network) return undefined;
      const { widths, networks, rows } = network;
      const layout = scratchLayout(widths);
      const samples = count * networks * rows;
      if (samples * layout.words * 4 > MAX_SCRATCH_BYTES) return undefined;
      const scratch = ctx.output(samples * layout.words);
      const shape = `${widths.join('-')}:${count}`;
      const rowsProgram = ctx.programs.get(`custom:mlpTrainingGradients:rows:${form}:${shape}`, count + 1 + weights.length,
        () => rowsSource(widths, count, form));
      const gradientSizes = weights.map((w) => sizeOf(w.shape));
      const invocations = networks + gradientSizes.reduce((a, b) => a + b, 0);
      const words = params(rows, count, networks, widths.at(-1)!, invocations);
      ctx.queue.dispatch(rowsProgram, [...batches.map((x) => x.handle.buffer), targets.handle.buffer, ...weights.map((w) => w.handle.buffer), scratch.buffer],
        words, [rows, networks, count]);
      const gradients = gradientSizes.map((n) => ctx.output(n));
      const loss = ctx.output(networks);
      const weightsProgram = ctx.programs.get(`custom:mlpTrainingGradients:weights:${shape}:${networks}`, count + 1,
        () => weightsSource(widths, count, networks), weights.length + 1);
      ctx.queue.dispatch(weightsProgram, [...batches.map((x) => x.handle.buffer), scratch.buffer, ...gradients.map((g) => g.buffer), loss.buffer],
        words, elementGroups(invocations));
      ctx.release(scratch);
      return [loss, ...gradients];
    },
  };
}
