/**
 * The host kernels of the optional primitives (primitives.ts, OPTIONAL_PRIMITIVES): the reference backend's
 * kernels, and what the engine runs on the host for a backend that has no kernel of its own (engine.ts, bind).
 */
import type { OptionalPrimitive } from '../primitives.js';
import { conv2d, conv2dFilterGrad, conv2dInputGrad } from './conv2d.js';
import { maxPool, maxPoolGrad } from './max-pool.js';
import type { HostKernel } from './types.js';

export type { FloatValues, HostInput, HostKernel } from './types.js';

export const HOST_KERNELS: { readonly [P in OptionalPrimitive]: HostKernel<P> } = {
  conv2d, conv2dInputGrad, conv2dFilterGrad, maxPool, maxPoolGrad,
};
