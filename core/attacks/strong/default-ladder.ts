import type { Attack, Ball, Classifier } from './attack.js';
import { apgd } from './apgd.js';
import { pgdRestarts } from './pgd-restarts.js';
import { squareAttack } from './square.js';
import { transferAttack } from './transfer.js';

/** The effort of each rung of the default ladder (docs/audit.md says why these numbers). */
export interface LadderBudget {
  /** PGD with cross-entropy: iterations and random restarts; PGD with DLR: the same iterations, one start. */
  readonly pgdIterations: number;
  readonly pgdRestarts: number;
  /** APGD-CE, and APGD-T (targeted DLR) per target. */
  readonly apgdIterations: number;
  /** APGD-T: the most likely wrong classes attacked, one run each. */
  readonly targets: number;
  /** Square Attack: queries per image. */
  readonly squareQueries: number;
  /** The transfer rung: PGD-CE iterations on the source network. */
  readonly transferIterations: number;
}

export const DEFAULT_LADDER_BUDGET: LadderBudget = {
  pgdIterations: 100, pgdRestarts: 2, apgdIterations: 100, targets: 2, squareQueries: 500, transferIterations: 50,
};

/**
 * The default ladder above the run's own FGSM and PGD-10 (which the caller adds, as the run evaluated them):
 * PGD-CE with restarts, PGD-DLR, APGD-CE, APGD-T, Square Attack, and, given a source network (a pruned trial's
 * dense round 0), PGD-CE transferred from it.
 */
export function defaultLadder(ball: Ball, budget: LadderBudget = DEFAULT_LADDER_BUDGET, source?: Classifier): Attack[] {
  const rungs = [
    pgdRestarts({ ...ball, iterations: budget.pgdIterations, restarts: budget.pgdRestarts, loss: 'ce' }),
    pgdRestarts({ ...ball, iterations: budget.pgdIterations, restarts: 1, loss: 'dlr' }),
    apgd({ ...ball, iterations: budget.apgdIterations, restarts: 1, loss: 'ce' }),
    apgd({ ...ball, iterations: budget.apgdIterations, restarts: 1, loss: 'dlr-targeted', targets: budget.targets }),
    squareAttack({ ...ball, queries: budget.squareQueries }),
  ];
  if (source) rungs.push(transferAttack(pgdRestarts({ ...ball, iterations: budget.transferIterations, restarts: 1, loss: 'ce' }), source));
  return rungs;
}
