/**
 * What a model is: its input, its named parameters and its logits as a composition of primitives. Everything
 * else (initialisation, pruning, resets, the results files, completeness checks, the report, the CLI's --model)
 * derives from a ModelSpec; a model is one file in this folder, and nothing outside it names a layer.
 */
import type { Tensor } from '../../autodiff/tensor.js';
import type { ModelKernels } from './kernels.js';

/** A weight matrix or filter (initialised by Glorot, prunable), or a bias (zeros, never pruned). */
export type ParameterKind = 'kernel' | 'bias';
/** What a kernel does, which sets its default pruning rate (DEFAULT_PRUNE_RATES). */
export type ParameterRole = 'conv' | 'dense' | 'output' | 'bias';

/**
 * Fractions of a parameter's REMAINING weights removed per round, by role: Frankle & Carbin's rates for
 * convolutional networks (convolutions 10%, dense layers 20%, the output layer 10%); biases are never pruned.
 */
export const DEFAULT_PRUNE_RATES: Readonly<Record<ParameterRole, number>> = { conv: 0.1, dense: 0.2, output: 0.1, bias: 0 };

export interface ParameterSpec {
  /** Its name, and the name of its .npy files (init_kernels/<name>.npy, masks/..., post_kernels/...). */
  readonly name: string;
  readonly kind: ParameterKind;
  readonly role: ParameterRole;
  readonly shape: readonly number[];
  /** Glorot's fans: [in, out] for a dense kernel, [kh kw in, kh kw out] for a filter (as Keras computes them). */
  readonly fanIn: number;
  readonly fanOut: number;
  /** Fraction of its remaining weights pruned per round; 0: never pruned. */
  readonly pruneRate: number;
}

export interface ModelSpec {
  readonly name: string;
  /** One line for --help and the report. */
  readonly description: string;
  /** The shape of one image as the logits read it; data arrive flattened to inputSize(spec) values. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  /** In a fixed order: the order of every per-parameter array (weights, masks, Adam state). */
  readonly parameters: readonly ParameterSpec[];
  /**
   * The logits of a batch x [n, inputSize] ([T, n, inputSize] for T stacked networks when `stackable`) from the
   * parameters in spec order, each already multiplied by its mask. Differentiable: the training loss and every
   * attack are built on it.
   */
  readonly logits: (params: readonly Tensor[], x: Tensor) => Tensor;
  /** Whether T networks stacked on a leading axis (parameters [T, ...shape]) run as one computation. */
  readonly stackable: boolean;
  /** The model's own accelerations (custom kernels), each defined by a composition of `logits`. */
  readonly kernels?: ModelKernels;
}

export const sizeOfShape = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
export const inputSize = (spec: ModelSpec): number => sizeOfShape(spec.inputShape);
export const parameterSize = (p: ParameterSpec): number => sizeOfShape(p.shape);

/** A dense kernel [in, out]. */
export const denseKernel = (name: string, inputs: number, outputs: number, role: 'dense' | 'output' = 'dense'): ParameterSpec => ({
  name, kind: 'kernel', role, shape: [inputs, outputs], fanIn: inputs, fanOut: outputs, pruneRate: DEFAULT_PRUNE_RATES[role],
});

/** A convolution filter [kh, kw, in, out]. */
export const convKernel = (name: string, kh: number, kw: number, inputs: number, outputs: number): ParameterSpec => ({
  name, kind: 'kernel', role: 'conv', shape: [kh, kw, inputs, outputs], fanIn: kh * kw * inputs, fanOut: kh * kw * outputs,
  pruneRate: DEFAULT_PRUNE_RATES.conv,
});

/** A bias of `size` values (zeros at first, never pruned). */
export const bias = (name: string, size: number): ParameterSpec => ({
  name, kind: 'bias', role: 'bias', shape: [size], fanIn: size, fanOut: size, pruneRate: 0,
});
