import { initialWeights, type ParameterArrays, type ModelSpec } from '../nn/model.js';
import type { Initialiser } from '../nn/init.js';
import type { Rng } from '../nn/rng.js';
import type { ResetTarget, Strategy } from './config.js';

/** What a strategy may draw on when it picks the weights that start round k+1 (docs/PROTOCOL.md, Experiments). */
export interface RoundHistory {
  /** theta_0: the weights at initialisation (start of round 0). */
  readonly initial: ParameterArrays;
  /** The dense network's weights at the end of round 0's training. */
  readonly round0Trained: ParameterArrays;
  /** The weights at the end of the round just finished. */
  readonly lastTrained: ParameterArrays;
}

export const roundsFor = (strategy: Strategy, pruneIters: number): number => (strategy === 'no_pruning' ? 1 : pruneIters + 1);

/**
 * Weights that start the next round. Masks are applied separately (x @ (W * M)), so pruned positions may hold
 * any value here.
 * - reinit_orig: reset to theta_0 (the paper), or, with reset_to=round0_trained, to round 0's trained weights
 *   (what the original code did; docs/paper-results.md's tables come from that).
 * - reinit_rand: a fresh Glorot draw.
 * - reinit_none: keep training from the last trained weights (the optimiser state is fresh each round).
 */
export function nextRoundWeights(
  strategy: Strategy, resetTo: ResetTarget, history: RoundHistory, spec: ModelSpec, init: Initialiser, rng: Rng,
): ParameterArrays {
  switch (strategy) {
    case 'reinit_orig':
      return resetTo === 'init' ? history.initial : history.round0Trained;
    case 'reinit_rand':
      return initialWeights(spec, rng, init);
    case 'reinit_none':
    case 'no_pruning':
      return history.lastTrained;
  }
}
