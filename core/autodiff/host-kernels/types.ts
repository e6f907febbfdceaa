import type { OptionalPrimitive, PrimitiveAttrs, Shape } from '../primitives.js';

/** Float values on the host: float32, or float64 where the reference backend serves as a finite-difference oracle. */
export type FloatValues = Float32Array | Float64Array;

/** One input of a host kernel. */
export interface HostInput {
  readonly values: FloatValues;
  readonly shape: Shape;
}

/**
 * A primitive computed on the host from its inputs' values: the reference backend's kernel, and what the core runs
 * for a backend without a kernel of an optional primitive. Results have the first input's precision; sums are
 * accumulated in double precision and rounded once.
 */
export type HostKernel<P extends OptionalPrimitive> = (inputs: readonly HostInput[], attrs: PrimitiveAttrs[P], outShape: Shape) => FloatValues;

/** A new array of the first input's precision. */
export const like = (values: FloatValues, length: number): FloatValues =>
  values instanceof Float64Array ? new Float64Array(length) : new Float32Array(length);
