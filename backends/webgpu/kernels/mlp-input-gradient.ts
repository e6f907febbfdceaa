/**
 * The webgpu kernel of the custom op mlpInputGradient (core/nn/custom-ops.ts): the attacks' gradient with respect
 * to x [n, d_0] of the logits-form cross-entropy of a bias-free ReLU MLP, weights W_l [d_(l-1), d_l], as one
 * dispatch of one workgroup per row and network (T stacked networks: x [T, n, d_0], targets [T, n, d_L], weights
 * [T, d_(l-1), d_l]; each network's cotangent is 1, as the sum of their losses gives it). The workgroup runs the
 * forward pass, the cross-entropy's gradient and the backward pass to x (mlp-rows.ts, which says why the result is
 * the composition's bit for bit).
 *
 * Declines (the composition runs) for anything but float32 matrices of matching widths, or stacks of them with
 * one leading axis T (an x shared by the stack declines: its gradient sums over the networks), none empty, more
 * rows or networks than workgroups per dimension, more weights than the device binds, or activations beyond workgroup memory.
 */
import { sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import type { KernelContext, WebgpuHandle } from './context.js';
import { ENTRY_WGSL, RowProgram, networkOf, rowParams } from './mlp-rows.js';

/** Storage buffers besides the weights: x, targets and the gradient. */
const OTHER_BUFFERS = 3;

function source(widths: readonly number[]): string {
  const program = new RowProgram(widths);
  const [d0, classes] = [widths[0]!, program.classes];
  const bindings = [
    '@group(0) @binding(1) var<storage, read> x: array<f32>;',
    '@group(0) @binding(2) var<storage, read> targets: array<u32>;',
    ...program.weightBindings(3),
    `@group(0) @binding(${program.layers + 3}) var<storage, read_write> gradient: array<u32>;`,
  ];
  return /* wgsl */ `${program.header()}${bindings.join('\n')}
${ENTRY_WGSL}${program.forward((q) => `x[row * ${d0}u + ${q}]`)}${program.crossEntropyGradient((c) => `targets[row * ${classes}u + ${c}]`)}${program.backward((j, g) => `gradient[row * ${d0}u + ${j}] = ${g};`)}
}
`;
}

export function mlpInputGradientKernels(ctx: KernelContext, maxStorageBuffers: number): Pick<LibraryKernels<WebgpuHandle>, 'mlpInputGradient'> {
  return {
    mlpInputGradient: ({ x, targets, weights }) => {
      const network = networkOf(x, weights, { likeLogits: [targets], otherBuffers: OTHER_BUFFERS }, maxStorageBuffers);
      if (!network) return undefined;
      const { widths, networks, rows } = network;
      const gradient = ctx.output(sizeOf(x.shape));
      const program = ctx.programs.get(`custom:mlpInputGradient:${widths.join('-')}`, 2 + weights.length, () => source(widths));
      const buffers = [x.handle.buffer, targets.handle.buffer, ...weights.map((w) => w.handle.buffer), gradient.buffer];
      ctx.queue.dispatch(program, buffers, rowParams(rows), [rows, networks, 1]);
      return [gradient];
    },
  };
}
