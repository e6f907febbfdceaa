/**
 * The attacks' steps as WGSL expressions over float32 bits, for the kernels that run them (custom.ts: signStep and
 * pgdStep; mlp-attacks.ts: the whole attacks): the compositions' operations in their order (attacks/attack.ts,
 * signStep; attacks/pgd.ts, projectedStep), each the kept operation of its primitive (kept-operations.ts). The
 * attributes are expressions of their float32 bits; negEps is -eps rounded to float32.
 */

/** clip(x + sign(g) * scale, min, max). */
export const signStepWgsl = (x: string, g: string, scale: string, min: string, max: string): string =>
  `clip_(add_(${x}, mul_(sign_(${g}), ${scale})), ${min}, ${max})`;

export interface ProjectedStepAttributes {
  readonly step: string;
  readonly min: string;
  readonly max: string;
  readonly negEps: string;
  readonly eps: string;
}

/** clip(x + clip(signStep(current, g, step) - x, -eps, eps), min, max). */
export const projectedStepWgsl = (x: string, current: string, g: string, { step, min, max, negEps, eps }: ProjectedStepAttributes): string =>
  `clip_(add_(${x}, clip_(sub_(${signStepWgsl(current, g, step, min, max)}, ${x}), ${negEps}, ${eps})), ${min}, ${max})`;
