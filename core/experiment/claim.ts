/**
 * Which folders a run may write, and claiming them: a configuration's folder is claimed once per run, after the
 * check for the folder names of older versions, and only after everything else was checked (plan.ts).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { LeaseHeldError, MixedBackendsError } from '../errors.js';
import { describeHolder, isLeased, readHolder } from '../results/lease.js';
import { legacyConfigDir, trialManifest } from '../results/paths.js';
import type { TrialManifest } from '../results/records.js';
import { checkConfigDir, claimConfigDir, isRoundComplete, ResultsConflictError } from '../results/store.js';
import type { ModelSpec } from '../nn/model.js';
import type { ExperimentConfig } from './config.js';

/** Results of this configuration under the folder name older versions wrote must be moved, not silently redone. */
export function refuseLegacyResults(dir: string, config: ExperimentConfig): void {
  const legacy = legacyConfigDir(dir, config);
  if (legacy !== dir && existsSync(legacy) && !existsSync(dir)) {
    throw new ResultsConflictError(
      `results of this configuration are in ${legacy}, a folder name of older rsn versions (the original writes ${basename(dir)})`,
      `move them to the original's name and run again: mv '${legacy}' '${dir}'`,
    );
  }
}

/** --force deletes a configuration's folder: refused while any trial in it is leased by a live process. */
export function refuseForceWhileHeld(dir: string, staleMs: number): void {
  if (!existsSync(dir)) return;
  const trials = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && /^trial_\d+$/.test(e.name)).map((e) => join(dir, e.name));
  const running = trials.filter((t) => isLeased(t, staleMs));
  if (running.length > 0) {
    throw new LeaseHeldError(
      `--force would delete ${dir}, but ${running.map((t) => `${t} is being run by ${describeHolder(readHolder(t)!)}`).join('; ')}`,
      'stop that run first, or wait for it to finish',
    );
  }
}

/** Everything claiming would check, reading only: the older layout and a config.json that must match. */
export function checkClaim(dir: string, config: ExperimentConfig, force: boolean): void {
  refuseLegacyResults(dir, config);
  if (!force) checkConfigDir(dir, config);
}

/** Claim a configuration's folder: the older-layout check first, then config.json (with force, the folder emptied). */
export function claimConfiguration(dir: string, experimentId: string, config: ExperimentConfig, force: boolean): void {
  refuseLegacyResults(dir, config);
  claimConfigDir(dir, experimentId, config, force);
}

/** "rounds 0-3" or "rounds 0, 2". */
const roundList = (rounds: readonly number[]): string => {
  const consecutive = rounds.every((r, k) => k === 0 || r === rounds[k - 1]! + 1);
  if (rounds.length === 1) return `round ${rounds[0]}`;
  return consecutive ? `rounds ${rounds[0]}-${rounds[rounds.length - 1]}` : `rounds ${rounds.join(', ')}`;
};

/**
 * A trial is trained on one backend unless mixing was asked for: the backends its manifest records for the rounds
 * complete on disk, other than `backend`, refuse it with the rounds and what to do.
 */
export function mixedBackendsError(trialDir: string, backend: string, spec: ModelSpec): MixedBackendsError | undefined {
  const file = trialManifest(trialDir);
  if (!existsSync(file)) return undefined;
  let manifest: Partial<TrialManifest>;
  try {
    manifest = JSON.parse(readFileSync(file, 'utf8')) as Partial<TrialManifest>;
  } catch {
    return undefined; // a damaged manifest is refused by the check of what is kept (plan.ts)
  }
  const others = (manifest.rounds ?? []).filter((r) => r.backend !== backend && isRoundComplete(trialDir, r.round, spec));
  if (others.length === 0) return undefined;
  const byBackend = new Map<string, number[]>();
  for (const r of others) byBackend.set(r.backend, [...(byBackend.get(r.backend) ?? []), r.round].sort((a, b) => a - b));
  const trained = [...byBackend].map(([name, rounds]) => `${roundList(rounds)} on ${name}`).join(' and ');
  const first = [...byBackend.keys()][0]!;
  return new MixedBackendsError(
    `${trialDir} holds ${trained}; continuing it on ${backend} would mix backends in one trial`,
    `resume it on its backend (--backend ${first}), or pass --allow_mixed_backends to train its remaining rounds on ${backend} (each round's backend is recorded in manifest.json), or --force to retrain the configuration on ${backend}`,
  );
}
