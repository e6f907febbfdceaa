/**
 * The webgpu backend's kernels for the library's custom ops; here the elementwise ones (core/nn/custom-ops.ts): adam,
 * maskedAdam, signStep and pgdStep, each one dispatch over float32 tensors of one shape (any shape: T stacked networks are T times
 * the elements). Each evaluates its composition's operations in the composition's order, each with the WGSL
 * expression of the primitive kernel the composition would run (elementwise.ts), on the attributes rounded to
 * float32 as the composition's scalar tensors are; so its results equal the composition's on the same device,
 * bit for bit. The cross-entropy and its gradient are in cross-entropy.ts, the dense layer with its ReLU in
 * dense-relu.ts, the MLP's logits, input gradient and whole attacks in mlp-forward.ts, mlp-input-gradient.ts and
 * mlp-attacks.ts.
 *
 * Every intermediate result passes through `kept` (kept-operations.ts), so that the shader compiler cannot
 * contract or rearrange operations across it.
 */
import { sameShape, sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { FLOAT_BITS_WGSL, elementGroups, floatBits, perElement } from '../shaders.js';
import { projectedStepWgsl, signStepWgsl } from './attack-steps.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { crossEntropyKernels } from './cross-entropy.js';
import { denseReluKernels } from './dense-relu.js';
import { gatherRowsKernels } from './gather-rows.js';
import { KEPT_OPERATIONS_WGSL } from './kept-operations.js';
import { maskWeightsKernels } from './mask-weights.js';
import { mlpAttackKernels } from './mlp-attacks.js';
import { mlpForwardKernels } from './mlp-forward.js';
import { mlpInputGradientKernels } from './mlp-input-gradient.js';
import { mlpTrainingGradientsKernels } from './mlp-training-gradients.js';
import { uniformNoiseKernels } from './uniform-noise.js';

/** Parameter words: 0 the element count (perElement), 1 the zero that `kept` applies, then the attributes from 2. */
const FIRST_ATTRIBUTE = 2;
const attribute = (k: number) => `p(${FIRST_ATTRIBUTE + k}u)`;

interface Fused {
  readonly key: string;
  readonly inputs: number;
  readonly outputs: number;
  /** The body after the inputs are loaded as in0, in1, ... (u32 bits); it stores out0, out1, ... at i. */
  readonly body: string;
}

/** Adam's body (core/nn/adam.ts) with the gradient `g`; attributes: beta1, 1 - beta1, beta2, 1 - beta2, epsilon, learningRate. */
const adamBody = (g: string) => `
  let w = in0[i]; let g = ${g}; let m = in2[i]; let v = in3[i];
  let m2 = add_(mul_(m, ${attribute(0)}), mul_(g, ${attribute(1)}));
  let v2 = add_(mul_(v, ${attribute(2)}), mul_(mul_(g, g), ${attribute(3)}));
  out0[i] = sub_(w, mul_(div_(m2, add_(sqrt_(v2), ${attribute(4)})), ${attribute(5)}));
  out1[i] = m2;
  out2[i] = v2;`;

const ADAM: Fused = { key: 'custom:adam', inputs: 4, outputs: 3, body: adamBody('in1[i]') };

/** Adam on g * mask, the mask's mul as the mul kernel computes it (custom-ops.ts, maskedAdam). */
const MASKED_ADAM: Fused = { key: 'custom:maskedAdam', inputs: 5, outputs: 3, body: adamBody('mul_(in1[i], in4[i])') };

const SIGN_STEP: Fused = {
  key: 'custom:signStep',
  inputs: 2,
  outputs: 1,
  // attributes: scale, min, max.
  body: `
  out0[i] = ${signStepWgsl('in0[i]', 'in1[i]', attribute(0), attribute(1), attribute(2))};`,
};

const PGD_STEP: Fused = {
  key: 'custom:pgdStep',
  inputs: 3,
  outputs: 1,
  // attributes: step, min, max, -eps, eps (core/attacks/pgd.ts, projectedStep).
  body: `
  out0[i] = ${projectedStepWgsl('in0[i]', 'in1[i]', 'in2[i]', { step: attribute(0), min: attribute(1), max: attribute(2), negEps: attribute(3), eps: attribute(4) })};`,
};

function source({ inputs, outputs, body }: Fused): string {
  const bindings = [
    ...Array.from({ length: inputs }, (_, k) => `@group(0) @binding(${k + 1}) var<storage, read> in${k}: array<u32>;`),
    ...Array.from({ length: outputs }, (_, k) => `@group(0) @binding(${inputs + k + 1}) var<storage, read_write> out${k}: array<u32>;`),
  ];
  return `${FLOAT_BITS_WGSL}${KEPT_OPERATIONS_WGSL}${bindings.join('\n')}\n${perElement(body)}`;
}

/**
 * The kernels, given the device's storage buffers per shader stage (Adam binds seven): each declines (the
 * composition runs) where its inputs differ in shape, are not float32 (the engine passes only float32), or the
 * device cannot bind them.
 */
export function webgpuCustomKernels(ctx: KernelContext, maxStorageBuffers: number): LibraryKernels<WebgpuHandle> {
  const run = (fused: Fused, inputs: readonly Info[], attributes: readonly number[]): WebgpuHandle[] | undefined => {
    if (!inputs.every((t) => sameShape(t.shape, inputs[0]!.shape)) || inputs.some((t) => t.dtype !== 'float32') || fused.inputs + fused.outputs > maxStorageBuffers) return undefined;
    const n = sizeOf(inputs[0]!.shape);
    const outputs = Array.from({ length: fused.outputs }, () => ctx.output(n));
    const program = ctx.programs.get(fused.key, fused.inputs, () => source(fused), fused.outputs);
    const params = [n, 0, ...attributes.map(floatBits)];
    ctx.queue.dispatch(program, [...inputs.map((t) => t.handle.buffer), ...outputs.map((o) => o.buffer)], params, elementGroups(n));
    return outputs;
  };
  return {
    adam: ({ w, g, m, v }, { learningRate, beta1, beta2, epsilon }) =>
      run(ADAM, [w, g, m, v], [beta1, 1 - beta1, beta2, 1 - beta2, epsilon, learningRate]),
    // Eight storage buffers: declines on a device that binds fewer (mul and adam then run).
    maskedAdam: ({ w, g, mask, m, v }, { learningRate, beta1, beta2, epsilon }) =>
      run(MASKED_ADAM, [w, g, m, v, mask], [beta1, 1 - beta1, beta2, 1 - beta2, epsilon, learningRate]),
    // An empty or NaN clip range declines: the composition's clip then reports it.
    signStep: ({ x, g }, { scale, min, max }) => (min <= max ? run(SIGN_STEP, [x, g], [scale, min, max]) : undefined),
    pgdStep: ({ x, current, g }, { step, eps, min, max }) =>
      (min <= max && -eps <= eps ? run(PGD_STEP, [x, current, g], [step, min, max, -eps, eps]) : undefined),
    // Four storage buffers each, within every device's limit (8 at least).
    ...crossEntropyKernels(ctx),
    // Four storage buffers at most (the masked products).
    ...denseReluKernels(ctx),
    // The weights, x, targets and the gradient; more layers than the device binds decline.
    ...mlpInputGradientKernels(ctx, maxStorageBuffers),
    // The weights, the batches and the scratch buffer, or the batches, the scratch buffer, the gradients and the loss.
    ...mlpTrainingGradientsKernels(ctx, maxStorageBuffers),
    // A weight, its mask and the product per layer: as many layers per dispatch as the device binds.
    ...maskWeightsKernels(ctx, maxStorageBuffers),
    // The logits, and the whole attacks (their labels, PGD's start and every iteration): the weights and up to three others.
    ...mlpForwardKernels(ctx, maxStorageBuffers),
    ...mlpAttackKernels(ctx, maxStorageBuffers),
    // Three storage buffers: the states, the jump tables and the noise.
    ...uniformNoiseKernels(ctx),
    // The parts of a table, its indices and the rows; more parts than the device binds decline.
    ...gatherRowsKernels(ctx, maxStorageBuffers),
  };
}
