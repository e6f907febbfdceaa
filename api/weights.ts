/**
 * A round's weights as arrays: the stored kernels are unmasked (pruned weights keep their last values on disk),
 * so the network a round trained is W * M; `effective` applies the masks.
 */
import { LAYER_FILES, kernelFile, type KernelKind } from '../core/results/paths.js';
import { readNpy } from '../core/results/npy.js';

export interface LayerWeights {
  readonly layer: (typeof LAYER_FILES)[number];
  /** [fan_in, fan_out], row-major (numpy's C order). */
  readonly shape: readonly [number, number];
  readonly kernel: Float32Array;
  readonly mask: Float32Array;
  /** kernel * mask: the weights the network computes with. */
  readonly effective: Float32Array;
}

/** The layers of one round (a prune_iter_YY folder): `post_kernels` (trained, default) or `init_kernels` (the start). */
export function loadRoundWeights(roundDir: string, kind: Exclude<KernelKind, 'masks'> = 'post_kernels'): LayerWeights[] {
  return LAYER_FILES.map((layer) => {
    const kernel = readNpy(kernelFile(roundDir, kind, layer));
    const mask = readNpy(kernelFile(roundDir, 'masks', layer)).values;
    const effective = kernel.values.map((w, i) => w * mask[i]!);
    return { layer, shape: [kernel.shape[0]!, kernel.shape[1]!] as const, kernel: kernel.values, mask, effective };
  });
}
