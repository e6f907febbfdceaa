/**
 * The webgpu kernel of the custom op mlpForward (core/nn/custom-ops.ts): the logits of a bias-free ReLU MLP,
 * x [n, d_0] and weights W_l [d_(l-1), d_l] (or stacks of them with one leading axis T), as one dispatch of one
 * workgroup per row and network running the forward pass (mlp-rows.ts, which says why the logits are the
 * composition's bit for bit). Declines as mlp-rows.ts's networkOf says (an x shared by stacked networks
 * included: its composition broadcasts it), and the composition runs.
 */
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import type { KernelContext, WebgpuHandle } from './context.js';
import { ENTRY_WGSL, LANES, RowProgram, networkOf, rowParams } from './mlp-rows.js';

/** Storage buffers besides the weights: x and the logits. */
const OTHER_BUFFERS = 2;

function source(widths: readonly number[]): string {
  const program = new RowProgram(widths);
  const [d0, classes] = [widths[0]!, program.classes];
  const bindings = [
    '@group(0) @binding(1) var<storage, read> x: array<f32>;',
    ...program.weightBindings(2),
    `@group(0) @binding(${program.layers + 2}) var<storage, read_write> logits: array<u32>;`,
  ];
  return /* wgsl */ `${program.header()}${bindings.join('\n')}
${ENTRY_WGSL}${program.forward((q) => `x[row * ${d0}u + ${q}]`)}
  for (var c = lane; c < ${classes}u; c += ${LANES}u) { logits[row * ${classes}u + c] = ${program.logit('c')}; }
}
`;
}

export function mlpForwardKernels(ctx: KernelContext, maxStorageBuffers: number): Pick<LibraryKernels<WebgpuHandle>, 'mlpForward'> {
  return {
    mlpForward: ({ x, weights }) => {
      const network = networkOf(x, weights, { otherBuffers: OTHER_BUFFERS }, maxStorageBuffers);
      if (!network) return undefined;
      const { widths, networks, rows } = network;
      const logits = ctx.output(networks * rows * widths.at(-1)!);
      const program = ctx.programs.get(`custom:mlpForward:${widths.join('-')}`, 1 + weights.length, () => source(widths));
      ctx.queue.dispatch(program, [x.handle.buffer, ...weights.map((w) => w.handle.buffer), logits.buffer], rowParams(rows), [rows, networks, 1]);
      return [logits];
    },
  };
}
