/**
 * A network of any model (models/): its parameters and masks on the active backend, created from host arrays,
 * and its logits. A model's spec says what the parameters are; this file never names one.
 */
import { disposeAll, fromHost, keep } from '../autodiff/engine.js';
import * as op from '../autodiff/ops.js';
import type { Tensor } from '../autodiff/tensor.js';
import { ConfigError } from '../errors.js';
import { customOp } from './custom-ops.js';
import { initialise, type Initialiser } from './init.js';
import { parameterSize, type ModelSpec } from './models/index.js';
import type { Rng } from './rng.js';
import { stackSlices } from './stack.js';

export { DENSE_300_100, MODELS, MODEL_NAMES, mlp, modelSpec, inputSize, type ModelSpec, type ParameterSpec } from './models/index.js';

/** Host-side values, one Float32Array per parameter in spec order (row-major in the parameter's shape), or masks. */
export type ParameterArrays = Float32Array[];

/** A masked network on the active backend. The caller owns its tensors (dispose with disposeNetwork). */
export interface Network {
  readonly spec: ModelSpec;
  /** Every parameter, in spec order ([T, ...shape] for T stacked networks). */
  weights: Tensor[];
  /** One mask per parameter (all ones for a parameter that is never pruned). */
  masks: Tensor[];
}

/** A model with the parameters it computes with (its weights times their masks): what the attacks and the loss take. */
export interface Classifier {
  readonly spec: ModelSpec;
  readonly params: readonly Tensor[];
}

/** theta_0: kernels drawn from `kind` (Glorot, with each kernel's fans) in spec order, biases zero (no draw). */
export const initialWeights = (spec: ModelSpec, rng: Rng, kind: Initialiser = 'glorot_uniform'): ParameterArrays =>
  spec.parameters.map((p) => (p.kind === 'kernel' ? initialise(kind, rng, p.fanIn, p.fanOut, parameterSize(p)) : new Float32Array(parameterSize(p))));

export const fullMasks = (spec: ModelSpec): ParameterArrays => spec.parameters.map((p) => new Float32Array(parameterSize(p)).fill(1));

/** Upload host weights and masks as a network. Tensors are kept out of any enclosing tidy() scope. */
export function createNetwork(spec: ModelSpec, weights: ParameterArrays, masks: ParameterArrays = fullMasks(spec)): Network {
  const upload = (arrays: ParameterArrays) => spec.parameters.map((p, i) => keep(fromHost(arrays[i]!, p.shape)));
  return { spec, weights: upload(weights), masks: upload(masks) };
}

/**
 * Upload the weights and masks of several networks stacked on a leading axis ([T, ...shape] per parameter), to
 * train as one computation; one network is uploaded unstacked (createNetwork). Only a stackable model stacks.
 */
export function createStackedNetwork(spec: ModelSpec, weights: readonly ParameterArrays[], masks: readonly ParameterArrays[]): Network {
  if (weights.length === 1) return createNetwork(spec, weights[0]!, masks[0]);
  if (!spec.stackable) {
    throw new ConfigError(`model ${spec.name} trains one network at a time, not ${weights.length} stacked`, 'use --batch_trials 1 (auto chooses it)');
  }
  const upload = (arrays: readonly ParameterArrays[]) =>
    spec.parameters.map((p, i) => keep(fromHost(stackSlices(arrays.map((a) => a[i]!)), [arrays.length, ...p.shape])));
  return { spec, weights: upload(weights), masks: upload(masks) };
}

export const readParameters = (tensors: readonly Tensor[]): ParameterArrays => tensors.map((t) => t.dataSync() as Float32Array);

export function disposeNetwork(net: Network): void {
  disposeAll([net.weights, net.masks]);
}

/**
 * The weights the network actually uses: W * M, so pruned weights contribute nothing and get zero gradient. A
 * backend may compute all layers' products as one kernel (custom-ops.ts, maskWeights).
 */
export const effectiveWeights = (weights: readonly Tensor[], masks: readonly Tensor[]): Tensor[] =>
  customOp('maskWeights', { weights, masks }, {}, () => weights.map((w, i) => op.mul(w, masks[i]!)), weights.map((w) => w.shape));

/** The network with its effective weights, as a classifier (the caller owns the effective tensors). */
export const classifierOf = (net: Network): Classifier => ({ spec: net.spec, params: effectiveWeights(net.weights, net.masks) });

/**
 * The logits of a batch x [n, inputSize] (or [T, n, inputSize] for stacked networks). Through the model's own
 * kernel where it has one (a backend may then run it as one custom op), else its composition.
 */
export const logits = ({ spec, params }: Classifier, x: Tensor): Tensor =>
  spec.kernels ? spec.kernels.logits(params, x, () => spec.logits(params, x)) : spec.logits(params, x);

/** Whether a classifier's parameters carry a leading trial axis (several stacked networks). */
export const isStacked = ({ spec, params }: Classifier): boolean => params[0]!.rank > spec.parameters[0]!.shape.length;
