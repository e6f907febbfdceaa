/**
 * The webgpu kernels of the custom ops fgsmAttack and pgdAttack (core/nn/custom-ops.ts): a whole attack on a
 * bias-free ReLU MLP as one dispatch of one workgroup per row and network, since each row's attack is independent
 * of the others'. The workgroup runs what the composition does for its row (attacks/fgsm.ts, pgd.ts), each part
 * with the float32 operations of the kernel that would run it, in order, so the result is the composition's bit
 * for bit:
 * - the labels: the forward pass on x (mlp-rows.ts, as mlpForward), argmax with reduce.ts's rule (the first index
 *   of the maximum, a NaN never greater) and the one-hot targets (1 at the label, +0 elsewhere);
 * - PGD's start clip(x + noise, min, max) (the noise an input, drawn elsewhere; x itself without noise), kept in
 *   workgroup memory as the current point;
 * - per iteration the input gradient (mlp-rows.ts, as mlpInputGradient: its seed -1 / n with n the rows per
 *   network, so a row's result depends on n only there) and the signed or projected step (attack-steps.ts) of
 *   each element as the backward pass produces its gradient. FGSM reuses the labels' forward pass for its one
 *   gradient, as x is its point; PGD runs the forward pass again on each iteration's point.
 *
 * Declines (the composition runs) as mlp-rows.ts's networkOf says (the current point counts towards workgroup
 * memory), for noise not laid out as x or more than one noise tensor, an empty or NaN clip range or eps ball,
 * and an iteration count that is not a whole number.
 */
import { sizeOf } from '../../../core/autodiff/shapes.js';
import type { LibraryKernels } from '../../../core/nn/custom-ops.js';
import { floatBits } from '../shaders.js';
import { projectedStepWgsl, signStepWgsl } from './attack-steps.js';
import type { Info, KernelContext, WebgpuHandle } from './context.js';
import { ENTRY_WGSL, FIRST_ATTRIBUTE, LANES, RowProgram, networkOf, rowParams } from './mlp-rows.js';

const attribute = (k: number) => `p(${FIRST_ATTRIBUTE + k}u)`;
/** The largest parameter word: the iteration count. */
const MAX_ITERATIONS = 0xffffffff;

/** The row's label by reduce.ts's argmax over the logits, as lane 0's `label`; then its one-hot targets. */
const labelWgsl = (program: RowProgram): string => `
  var label = 0u;
  if (lane == 0u) {
    var best = ${program.logit('0u')};
    for (var c = 1u; c < ${program.classes}u; c++) { let v = ${program.logit('c')}; if (gt(v, best)) { best = v; label = c; } }
  }`;
const oneHot = (c: string) => `select(0u, ONE, ${c} == label)`;

/** Bindings: x, then `inputs`, the weights, and the adversarial examples. */
function bindings(program: RowProgram, inputs: readonly string[]): string {
  return [
    '@group(0) @binding(1) var<storage, read> x: array<u32>;',
    ...inputs.map((name, k) => `@group(0) @binding(${k + 2}) var<storage, read> ${name}: array<u32>;`),
    ...program.weightBindings(2 + inputs.length),
    `@group(0) @binding(${2 + inputs.length + program.layers}) var<storage, read_write> adversarial: array<u32>;`,
  ].join('\n');
}

/** FGSM, attributes eps, min, max: signStep(x, g, eps) of the gradient at x. */
function fgsmSource(widths: readonly number[]): string {
  const program = new RowProgram(widths);
  const d0 = widths[0]!;
  const at = (j: string) => `row * ${d0}u + ${j}`;
  const step = (j: string, g: string) => `adversarial[${at(j)}] = ${signStepWgsl(`x[${at(j)}]`, g, attribute(0), attribute(1), attribute(2))};`;
  return /* wgsl */ `${program.header()}${bindings(program, [])}
${ENTRY_WGSL}${program.forward((q) => `f(x[${at(q)}])`)}${labelWgsl(program)}${program.crossEntropyGradient(oneHot)}${program.backward(step)}
}
`;
}

/** PGD, attributes step, min, max, -eps, eps and the iterations (a whole number): pgd.ts's iterate for one row. */
function pgdSource(widths: readonly number[], noise: boolean): string {
  const program = new RowProgram(widths);
  const d0 = widths[0]!;
  const at = (j: string) => `row * ${d0}u + ${j}`;
  const bounds = { step: attribute(0), min: attribute(1), max: attribute(2), negEps: attribute(3), eps: attribute(4) };
  const start = noise ? `clip_(add_(x[${at('j')}], noise[${at('j')}]), ${bounds.min}, ${bounds.max})` : `x[${at('j')}]`;
  const step = (j: string, g: string) => `current[${j}] = ${projectedStepWgsl(`x[${at(j)}]`, `current[${j}]`, g, bounds)};`;
  return /* wgsl */ `${program.header()}${bindings(program, noise ? ['noise'] : [])}
var<workgroup> current: array<u32, ${d0}>;
${ENTRY_WGSL}${program.forward((q) => `f(x[${at(q)}])`)}${labelWgsl(program)}
  for (var j = lane; j < ${d0}u; j += ${LANES}u) { current[j] = ${start}; }
  workgroupBarrier();
  for (var iteration = 0u; iteration < ${attribute(5)}; iteration++) {${program.forward((q) => `f(current[${q}])`)}${program.crossEntropyGradient(oneHot)}${program.backward(step)}
  }
  for (var j = lane; j < ${d0}u; j += ${LANES}u) { adversarial[${at('j')}] = current[j]; }
}
`;
}

/** A clip range or eps ball [lo, hi] that the composition's clip accepts (else it reports it). */
const validRange = (lo: number, hi: number): boolean => lo <= hi;

export function mlpAttackKernels(ctx: KernelContext, maxStorageBuffers: number): Pick<LibraryKernels<WebgpuHandle>, 'fgsmAttack' | 'pgdAttack'> {
  const run = (key: string, x: Info, inputs: readonly Info[], weights: readonly Info[], widths: readonly number[], shape: readonly [number, number],
    source: () => string, attributes: readonly number[]): WebgpuHandle[] => {
    const adversarial = ctx.output(sizeOf(x.shape));
    const program = ctx.programs.get(`${key}:${widths.join('-')}`, 1 + inputs.length + weights.length, source);
    const buffers = [x, ...inputs, ...weights].map((t) => t.handle.buffer);
    ctx.queue.dispatch(program, [...buffers, adversarial.buffer], rowParams(shape[0], attributes), [shape[0], shape[1], 1]);
    return [adversarial];
  };
  return {
    fgsmAttack: ({ x, weights }, { eps, min, max }) => {
      // Storage buffers besides the weights: x and the adversarial examples.
      const network = validRange(min, max) ? networkOf(x, weights, { otherBuffers: 2 }, maxStorageBuffers) : undefined;
      if (!network) return undefined;
      const { widths, rows, networks } = network;
      return run('custom:fgsmAttack', x, [], weights, widths, [rows, networks], () => fgsmSource(widths), [eps, min, max].map(floatBits));
    },
    pgdAttack: ({ x, noise, weights }, { step, eps, min, max, iterations }) => {
      if (noise.length > 1 || !validRange(min, max) || !validRange(-eps, eps)) return undefined;
      if (!(Number.isInteger(iterations) && iterations >= 0 && iterations <= MAX_ITERATIONS)) return undefined;
      // Storage buffers besides the weights: x, the noise and the adversarial examples; the current point in workgroup memory.
      const needs = { likeX: noise, otherBuffers: 2 + noise.length, extraWords: (widths: readonly number[]) => widths[0]! };
      const network = networkOf(x, weights, needs, maxStorageBuffers);
      if (!network) return undefined;
      const { widths, rows, networks } = network;
      const source = () => pgdSource(widths, noise.length > 0);
      const attributes = [...[step, min, max, -eps, eps].map(floatBits), iterations];
      return run(`custom:pgdAttack${noise.length > 0 ? ':noise' : ''}`, x, noise, weights, widths, [rows, networks], source, attributes);
    },
  };
}
