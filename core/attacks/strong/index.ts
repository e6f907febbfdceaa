/**
 * Strong attacks for auditing robustness (docs/audit.md): any model as a classifier function, input gradients
 * from the core's autodiff. The training attacks (../fgsm.ts, ../pgd.ts) are separate and unchanged.
 */
export * from './attack.js';
export { apgd, apgdCheckpoints, type ApgdOptions } from './apgd.js';
export { crossEntropyPerImage, dlrPerImage, targetedDlrPerImage } from './losses.js';
export { marginsOf, rankedTargets, type Margins } from './margins.js';
export { pgdRestarts, type PgdRestartsOptions } from './pgd-restarts.js';
export { squareAttack, squareFraction, squareSide, type ImageShape, type SquareOptions } from './square.js';
export { transferAttack } from './transfer.js';
export { attackOutcome, cleanOutcome, DEFAULT_BATCH, type AttackOutcome, type BatchOptions, type LabelledImages } from './batches.js';
export { runLadder, type LadderOptions, type LadderOutcome, type RungOutcome } from './ladder.js';
export { DEFAULT_SWEEP, epsSweep, flatImageBound, type SweepPoint } from './sweep.js';
export * from './masking-flags.js';
export { DEFAULT_LADDER_BUDGET, defaultLadder, type LadderBudget } from './default-ladder.js';
