/**
 * A round's weights as arrays: the stored kernels are unmasked (pruned weights keep their last values on disk),
 * so the network a round trained is W * M; `effective` applies the masks.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { modelSpec, type ModelSpec, type ParameterSpec } from '../core/nn/models/index.js';
import { configFile, kernelFile, type KernelKind } from '../core/results/paths.js';
import { readNpy } from '../core/results/npy.js';

export interface ParameterWeights {
  /** The parameter's name in its model (hidden_1, conv_1_bias, ...), also its file name. */
  readonly parameter: string;
  readonly kind: ParameterSpec['kind'];
  /** Its shape, row-major (numpy's C order): [fan_in, fan_out] for a dense kernel, [kh, kw, in, out] for a filter. */
  readonly shape: readonly number[];
  readonly kernel: Float32Array;
  readonly mask: Float32Array;
  /** kernel * mask: the weights the network computes with. */
  readonly effective: Float32Array;
}

/** The model of the configuration a round folder belongs to (its config.json, two folders up). */
function modelOfRound(roundDir: string): ModelSpec {
  const file = configFile(dirname(dirname(roundDir)));
  const recorded = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { config?: { model?: string } }) : {};
  return modelSpec(recorded.config?.model ?? 'dense-300-100');
}

/**
 * The parameters of one round (a prune_iter_YY folder), in the model's order: `post_kernels` (trained, default) or
 * `init_kernels` (the start). The model is read from the configuration's config.json unless given.
 */
export function loadRoundWeights(roundDir: string, kind: Exclude<KernelKind, 'masks'> = 'post_kernels', model?: string): ParameterWeights[] {
  const spec = model ? modelSpec(model) : modelOfRound(roundDir);
  return spec.parameters.map((p) => {
    const kernel = readNpy(kernelFile(roundDir, kind, p.name));
    const mask = readNpy(kernelFile(roundDir, 'masks', p.name)).values;
    const effective = kernel.values.map((w, i) => w * mask[i]!);
    return { parameter: p.name, kind: p.kind, shape: kernel.shape, kernel: kernel.values, mask, effective };
  });
}
