/**
 * Results sets merged into one archive: a later set's trial replaces an earlier set's trial of the same
 * configuration (by key) whole, so a trial rerun or carried further updates an archive (reproduction/) whose raw
 * runs are gone. Whole, not round by round: every round of a trial descends from its round 0, so a rerun that has
 * reached round 2 must not sit beside rounds 3 and up of the run it replaces (other weights, maybe another
 * library). The merged set is written by the report's own writers: the same results.csv and summaries.csv `rsn
 * report` writes for runs holding those rounds.
 */
import { join } from 'node:path';
import { writeFileAtomic } from '../results/atomic.js';
import { toCsv } from '../results/csv.js';
import type { TrialManifest } from '../results/records.js';
import { RsnError } from '../errors.js';
import { RESULTS_COLUMNS, resultsRows, roundBackend, summaryColumns, summaryRows } from './results-csv.js';
import type { ConfigResult, ResultsSet, TrialResult } from './results-set.js';

/** Two sets name one configuration key with different settings: merging them would mix experiments. */
export class ArchiveMergeError extends RsnError {
  constructor(key: string) {
    super(`configuration ${key} has other settings in one of the sets being merged`, 'merge only archives and runs written by the same version of rsn; compare their config columns (summaries.csv)');
  }
}

/** A configuration's settings in one text whatever the order of its keys (an archive's columns, a config.json's). */
const settingsText = (config: object): string => JSON.stringify(config, Object.keys(config).sort());

export function mergeResultsSets(sets: readonly ResultsSet[]): ResultsSet {
  const configs = new Map<string, { first: ConfigResult; trials: Map<number, TrialResult> }>();
  for (const set of sets) {
    for (const config of set.configs) {
      const entry = configs.get(config.key) ?? { first: config, trials: new Map() };
      if (settingsText(entry.first.config) !== settingsText(config.config)) throw new ArchiveMergeError(config.key);
      configs.set(config.key, entry);
      for (const trial of config.trials) {
        if (trial.rounds.length > 0) entry.trials.set(trial.trial, trial); // a rerun with no complete round yet replaces nothing
      }
    }
  }
  const merged: ConfigResult[] = [...configs.keys()].sort().map((key) => {
    const { first, trials } = configs.get(key)!;
    return {
      ...first,
      trials: [...trials.keys()].sort((a, b) => a - b).map((number): TrialResult => {
        const source = trials.get(number)!;
        const rounds = [...source.rounds].sort((a, b) => a.round - b.round);
        const backends = rounds.map((round) => ({ round: round.round, backend: roundBackend(source, round.round), wall_seconds: round.summary.wall_seconds }));
        // Only what the report reads of a manifest: each round's backend and time.
        const manifest = { trial: number, backend: backends[0]?.backend ?? '', rounds: backends } as unknown as TrialManifest;
        return { trial: number, dir: '', manifest, rounds };
      }),
    };
  });
  return { root: sets[0]?.root ?? '', configs: merged, notes: sets.flatMap((s) => s.notes), archive: true };
}

/** results.csv and summaries.csv of a set, written into `dir` (each file replaced whole). */
export function writeArchive(set: ResultsSet, dir: string): void {
  writeFileAtomic(join(dir, 'results.csv'), toCsv(RESULTS_COLUMNS, resultsRows(set)));
  writeFileAtomic(join(dir, 'summaries.csv'), toCsv(summaryColumns(set), summaryRows(set)));
}
