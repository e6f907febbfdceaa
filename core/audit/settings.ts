/**
 * What an audit runs (docs/audit.md): the rungs of its ladder, their effort, the images, the eps sweep. The
 * settings that change results name the file each round's audit is stored in, so audits with other settings sit
 * beside it and a repeated audit finds its own.
 */
import { createHash } from 'node:crypto';
import { DEFAULT_LADDER_BUDGET, DEFAULT_SWEEP, type LadderBudget } from '../attacks/strong/index.js';
import { ConfigError } from '../errors.js';

/**
 * The rungs: the run's own attacks (FGSM and PGD-10 as the run evaluated them, with the model's predictions as
 * labels), then the strong attacks of core/attacks/strong, and the transfer of PGD from the trial's dense round 0.
 */
export const AUDIT_RUNGS = ['fgsm', 'pgd-10', 'pgd-ce', 'pgd-dlr', 'apgd-ce', 'apgd-t', 'square', 'transfer'] as const;
export type AuditRung = (typeof AUDIT_RUNGS)[number];

export interface AuditSettings {
  /** Rungs to run, in ladder order. */
  readonly rungs: readonly AuditRung[];
  /** Test images audited: all of the run's test set, or this many drawn from `seed`. */
  readonly images: number | 'all';
  /** Seed of the audit's own draws (restarts, Square Attack, the image subsets). */
  readonly seed: number;
  readonly budget: LadderBudget;
  /** eps values of the sweep of the strongest white-box attack (APGD-CE); empty: no sweep. */
  readonly sweep: readonly number[];
  /** Images of the sweep: the first this many of the audited images. */
  readonly sweepImages: number;
}

export const DEFAULT_AUDIT: AuditSettings = {
  rungs: AUDIT_RUNGS, images: 'all', seed: 0, budget: DEFAULT_LADDER_BUDGET, sweep: DEFAULT_SWEEP, sweepImages: 1000,
};

/** Parse --attacks: comma-separated rung names, or 'all'. */
export function parseRungs(text: string): AuditRung[] {
  if (text.trim() === 'all') return [...AUDIT_RUNGS];
  const names = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (names.length === 0) throw new ConfigError(`--attacks names no rung; got '${text}'`, `use 'all' or some of: ${AUDIT_RUNGS.join(', ')}`);
  for (const name of names) {
    if (!(AUDIT_RUNGS as readonly string[]).includes(name)) throw new ConfigError(`--attacks: unknown rung '${name}'`, `use 'all' or some of: ${AUDIT_RUNGS.join(', ')}`);
  }
  return AUDIT_RUNGS.filter((r) => names.includes(r));
}

/** Parse --sweep: comma-separated eps values in [0, 1], or 'none'. */
export function parseSweep(text: string): number[] {
  if (text.trim() === 'none') return [];
  const values = text.split(',').map((s) => s.trim());
  return values.map((v) => {
    const eps = Number(v);
    if (v === '' || !Number.isFinite(eps) || eps < 0 || eps > 1) throw new ConfigError(`--sweep: '${v}' is not an eps in [0, 1]`, `give eps values separated by commas, e.g. ${DEFAULT_SWEEP.join(',')}, or 'none'`);
    return eps;
  });
}

/** Whole-number settings and their bounds, for one message per bad value. */
export function validateAudit(settings: AuditSettings): AuditSettings {
  const whole = (name: string, v: number, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) throw new ConfigError(`--${name} must be a whole number >= ${min}; got '${String(v)}'`);
  };
  if (settings.images !== 'all') whole('images', settings.images, 1);
  whole('seed', settings.seed, 0);
  whole('sweep_images', settings.sweepImages, 1);
  const b = settings.budget;
  whole('pgd_iterations', b.pgdIterations, 1);
  whole('pgd_restarts', b.pgdRestarts, 1);
  whole('apgd_iterations', b.apgdIterations, 1);
  whole('targets', b.targets, 1);
  whole('square_queries', b.squareQueries, 1);
  whole('transfer_iterations', b.transferIterations, 1);
  if (settings.rungs.length === 0) throw new ConfigError('the audit has no rung', `name some of: ${AUDIT_RUNGS.join(', ')}`);
  return settings;
}

/** The file name of a round's audit under these settings: audit-<first 10 hex digits of their hash>.json. */
export function auditFileName(settings: AuditSettings): string {
  const canonical = JSON.stringify({ ...settings, budget: { ...settings.budget } }, Object.keys({ ...settings, ...settings.budget }).sort());
  return `audit-${createHash('sha256').update(canonical).digest('hex').slice(0, 10)}.json`;
}
