/**
 * The strong rungs of an audit as attacks of core/attacks/strong, built from the settings and the run's eps. Each
 * rung draws from its own stream (its fixed place in AUDIT_RUNGS), so its result does not depend on which other
 * rungs an audit runs.
 */
import {
  apgd, pgdRestarts, squareAttack, transferAttack, type Attack, type Ball, type Classifier as AttackedFunction, type LadderBudget,
} from '../attacks/strong/index.js';
import { AUDIT_RUNGS, type AuditRung } from './settings.js';

/** A strong rung's attack (undefined for the run's own rungs, fgsm and pgd-10, and for transfer without a source). */
export function strongAttack(rung: AuditRung, ball: Ball, budget: LadderBudget, source?: AttackedFunction): Attack | undefined {
  switch (rung) {
    case 'pgd-ce': return pgdRestarts({ ...ball, iterations: budget.pgdIterations, restarts: budget.pgdRestarts, loss: 'ce' });
    case 'pgd-dlr': return pgdRestarts({ ...ball, iterations: budget.pgdIterations, restarts: 1, loss: 'dlr' });
    case 'apgd-ce': return apgd({ ...ball, iterations: budget.apgdIterations, restarts: 1, loss: 'ce' });
    case 'apgd-t': return apgd({ ...ball, iterations: budget.apgdIterations, restarts: 1, loss: 'dlr-targeted', targets: budget.targets });
    case 'square': return squareAttack({ ...ball, queries: budget.squareQueries });
    case 'transfer':
      return source ? transferAttack(pgdRestarts({ ...ball, iterations: budget.transferIterations, restarts: 1, loss: 'ce' }), source) : undefined;
    default: return undefined;
  }
}

/** The stream number of a rung (and of the sweep, after every rung). */
export const rungStream = (rung: AuditRung | 'sweep'): number => (rung === 'sweep' ? AUDIT_RUNGS.length : AUDIT_RUNGS.indexOf(rung));

/** The loss and effort of a rung as audit.csv records them. */
export function rungShape(rung: AuditRung, budget: LadderBudget, pgdIters: number): { loss: string; iterations: number; restarts: number } {
  switch (rung) {
    case 'fgsm': return { loss: 'ce', iterations: 1, restarts: 1 };
    case 'pgd-10': return { loss: 'ce', iterations: pgdIters, restarts: 1 };
    case 'pgd-ce': return { loss: 'ce', iterations: budget.pgdIterations, restarts: budget.pgdRestarts };
    case 'pgd-dlr': return { loss: 'dlr', iterations: budget.pgdIterations, restarts: 1 };
    case 'apgd-ce': return { loss: 'ce', iterations: budget.apgdIterations, restarts: 1 };
    case 'apgd-t': return { loss: 'dlr-targeted', iterations: budget.apgdIterations, restarts: budget.targets };
    case 'square': return { loss: 'margin', iterations: budget.squareQueries, restarts: 1 };
    case 'transfer': return { loss: 'ce', iterations: budget.transferIterations, restarts: 1 };
  }
}
