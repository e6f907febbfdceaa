/**
 * Where a round's audit lives: prune_iter_YY/audit/, one JSON record per rung (and one for the clean accuracy and
 * one for the sweep), named after the settings that fix its result, written atomically. The folder is also the
 * unit of a lease: two audits never work on one round at once.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResultsDamagedError } from '../errors.js';
import { writeFileAtomic } from '../results/atomic.js';
import { rungShape } from './rungs.js';
import type { AuditRung, AuditSettings } from './settings.js';

export const auditDir = (roundDir: string): string => join(roundDir, 'audit');

/** The settings a record's result depends on: which images, the audit's seed, and the record's own effort. */
function keyOf(what: AuditRung | 'clean' | 'sweep', settings: AuditSettings, eps: number, pgdIters: number): string {
  const own = what === 'clean' ? {} : what === 'sweep'
    ? { sweep: settings.sweep, sweepImages: settings.sweepImages, apgd: settings.budget.apgdIterations }
    : rungShape(what, settings.budget, pgdIters);
  const text = JSON.stringify({ what, images: settings.images, seed: settings.seed, eps, own });
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

export const recordFile = (roundDir: string, what: AuditRung | 'clean' | 'sweep', settings: AuditSettings, eps: number, pgdIters: number): string =>
  join(auditDir(roundDir), `${what}-${keyOf(what, settings, eps, pgdIters)}.json`);

export function readRecord<T>(file: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    throw new ResultsDamagedError(`${file} is damaged (${(error as Error).message})`, `delete it (rm '${file}'): the next rsn audit computes it again`);
  }
}

export const writeRecord = (file: string, record: unknown): void => writeFileAtomic(file, `${JSON.stringify(record)}\n`);
