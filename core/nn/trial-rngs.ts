import { RsnError } from '../errors.js';
import type { Rng } from './rng.js';

/** What an attack draws its random start from: one generator, or one per stacked network (TrialRngs). */
export interface UniformSource {
  uniformArray(n: number, low: number, high: number): Float32Array;
}

/**
 * One generator per stacked network: a draw of n values for T networks stacked on the leading axis takes n / T
 * from each network's own generator, in network order, so each network draws exactly what it would alone.
 */
export class TrialRngs implements UniformSource {
  constructor(readonly rngs: readonly Rng[]) {
    if (rngs.length === 0) throw new RsnError('TrialRngs needs at least one generator');
  }

  uniformArray(n: number, low: number, high: number): Float32Array {
    const per = n / this.rngs.length;
    if (!Number.isInteger(per)) throw new RsnError(`cannot split ${n} draws evenly over ${this.rngs.length} stacked networks`);
    const out = new Float32Array(n);
    this.rngs.forEach((rng, t) => out.set(rng.uniformArray(per, low, high), t * per));
    return out;
  }
}

/** The source for a stack of networks: the generator itself for one network, TrialRngs for several. */
export const uniformSource = (rngs: readonly Rng[]): UniformSource => (rngs.length === 1 ? rngs[0]! : new TrialRngs(rngs));
