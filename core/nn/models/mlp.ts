import { denseChain } from '../layers.js';
import { MLP_KERNELS } from './mlp-kernels.js';
import { denseKernel, type ModelSpec } from './spec.js';

/**
 * A multilayer perceptron without biases, ReLU between layers, of the given widths (inputs first, classes last):
 * kernels hidden_1, hidden_2, ..., output. It stacks trials and carries the MLP kernels (mlp-kernels.ts).
 */
export function mlp(name: string, widths: readonly number[], description = `perceptron ${widths.join('-')}, ReLU, no biases`): ModelSpec {
  const last = widths.length - 2;
  return {
    name, description, inputShape: [widths[0]!], classes: widths[widths.length - 1]!,
    parameters: widths.slice(1).map((width, i) =>
      i === last ? denseKernel('output', widths[i]!, width, 'output') : denseKernel(`hidden_${i + 1}`, widths[i]!, width)),
    logits: denseChain, stackable: true, kernels: MLP_KERNELS,
  };
}
