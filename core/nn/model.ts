import { disposeAll, fromHost, keep } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { ConfigError } from '../errors.js';
import { initialise, type Initialiser } from './init.js';
import type { Rng } from './rng.js';
import { stackSlices } from './stack.js';
import { customOp } from './custom-ops.js';

export interface LayerSpec {
  readonly name: string;
  readonly fanIn: number;
  readonly fanOut: number;
}

export interface ModelSpec {
  readonly name: string;
  readonly layers: readonly LayerSpec[];
}

/** dense-300-100: 784 -> 300 (ReLU) -> 100 (ReLU) -> 10, no biases (docs/PROTOCOL.md, Model). */
export const DENSE_300_100: ModelSpec = {
  name: 'dense-300-100',
  layers: [
    { name: 'hidden_1', fanIn: 784, fanOut: 300 },
    { name: 'hidden_2', fanIn: 300, fanOut: 100 },
    { name: 'output', fanIn: 100, fanOut: 10 },
  ],
};

export const MODELS: Readonly<Record<string, ModelSpec>> = { [DENSE_300_100.name]: DENSE_300_100 };

export function modelSpec(name: string): ModelSpec {
  const spec = MODELS[name];
  if (!spec) throw new ConfigError(`unknown model '${name}'`, `use one of: ${Object.keys(MODELS).join(', ')}`);
  return spec;
}

/** Host-side values, one Float32Array per layer in spec order (weights [fanIn, fanOut] row-major, or masks). */
export type LayerArrays = Float32Array[];

/** A masked network on the active backend. The caller owns its tensors (dispose with disposeNetwork). */
export interface Network {
  readonly spec: ModelSpec;
  weights: Tensor[];
  masks: Tensor[];
}

export function initialWeights(spec: ModelSpec, rng: Rng, kind: Initialiser = 'glorot_uniform'): LayerArrays {
  return spec.layers.map((l) => initialise(kind, rng, l.fanIn, l.fanOut));
}

export const fullMasks = (spec: ModelSpec): LayerArrays =>
  spec.layers.map((l) => new Float32Array(l.fanIn * l.fanOut).fill(1));

/** Upload host weights and masks as a network. Tensors are kept out of any enclosing tidy() scope. */
export function createNetwork(spec: ModelSpec, weights: LayerArrays, masks: LayerArrays = fullMasks(spec)): Network {
  const upload = (arrays: LayerArrays) =>
    spec.layers.map((l, i) => keep(fromHost(arrays[i]!, [l.fanIn, l.fanOut])));
  return { spec, weights: upload(weights), masks: upload(masks) };
}

export const readLayers = (tensors: readonly Tensor[]): LayerArrays => tensors.map((t) => t.dataSync() as Float32Array);

export function disposeNetwork(net: Network): void {
  disposeAll([net.weights, net.masks]);
}

/** The weights the network actually uses: W * M, so pruned weights contribute nothing and get zero gradient. */
export const effectiveWeights = (weights: readonly Tensor[], masks: readonly Tensor[]): Tensor[] =>
  weights.map((w, i) => op.mul(w, masks[i]!));

/**
 * The logits of a batch where no gradient is taken through them (the attacks' labels, evaluation): forward(),
 * which a backend may evaluate as one custom kernel (nn/custom-ops.ts, mlpForward).
 */
export const logits = (effective: readonly Tensor[], x: Tensor): Tensor =>
  customOp('mlpForward', { x, weights: effective }, {}, () => [forward(effective, x)],
    [[...x.shape.slice(0, -1), effective[effective.length - 1]!.shape.at(-1)!]])[0]!;

/** Logits of a batch x [n, 784] through masked dense layers x @ (W * M), ReLU between them. */
export function forward(effective: readonly Tensor[], x: Tensor): Tensor {
  let h = x;
  effective.forEach((w, i) => {
    h = op.matmul(h, w);
    if (i < effective.length - 1) h = op.relu(h);
  });
  return h;
}

/**
 * Upload the weights and masks of several networks stacked on a leading axis ([T, fan_in, fan_out] per layer),
 * to train as one computation; one network is uploaded unstacked (createNetwork).
 */
export function createStackedNetwork(spec: ModelSpec, weights: readonly LayerArrays[], masks: readonly LayerArrays[]): Network {
  if (weights.length === 1) return createNetwork(spec, weights[0]!, masks[0]);
  const upload = (arrays: readonly LayerArrays[]) =>
    spec.layers.map((l, i) => keep(fromHost(stackSlices(arrays.map((a) => a[i]!)), [arrays.length, l.fanIn, l.fanOut])));
  return { spec, weights: upload(weights), masks: upload(masks) };
}
