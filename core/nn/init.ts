import { ConfigError } from '../errors.js';
import type { Rng } from './rng.js';

export type Initialiser = 'glorot_uniform' | 'glorot_normal';
export const INITIALISERS: readonly Initialiser[] = ['glorot_uniform', 'glorot_normal'];

/** Glorot (Xavier) uniform: U(-a, a), a = sqrt(6 / (fan_in + fan_out)). The protocol's default. */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number, count = fanIn * fanOut): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return rng.uniformArray(count, -limit, limit);
}

/**
 * Glorot normal as TensorFlow defines it (the lottery-ticket paper's choice): a normal truncated at two
 * standard deviations, scaled so that its variance is 2 / (fan_in + fan_out) after truncation
 * (0.87962566 is the standard deviation of a standard normal truncated to [-2, 2]).
 */
export function glorotNormal(rng: Rng, fanIn: number, fanOut: number, count = fanIn * fanOut): Float32Array {
  const std = Math.sqrt(2 / (fanIn + fanOut)) / 0.87962566103423978;
  const out = new Float32Array(count);
  for (let i = 0; i < out.length; i++) {
    let z: number;
    do z = rng.normal();
    while (z < -2 || z > 2);
    out[i] = z * std;
  }
  return out;
}

/** `count` values (default fan_in x fan_out, a dense kernel's size; a filter has more than its fans' product). */
export function initialise(kind: Initialiser, rng: Rng, fanIn: number, fanOut: number, count = fanIn * fanOut): Float32Array {
  switch (kind) {
    case 'glorot_uniform':
      return glorotUniform(rng, fanIn, fanOut, count);
    case 'glorot_normal':
      return glorotNormal(rng, fanIn, fanOut, count);
    default:
      throw new ConfigError(`unknown initialiser '${String(kind)}'`, `use one of: ${INITIALISERS.join(', ')}`);
  }
}
