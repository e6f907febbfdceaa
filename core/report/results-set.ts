/**
 * What a results root holds once read: configurations, their trials and complete rounds, and notes on what was
 * skipped. Read from raw trial folders (load.ts) or from an archive's tidy CSVs (archive.ts).
 */
import type { ExperimentConfig } from '../experiment/config.js';
import type { EvalRow, RoundSummary, TrialManifest } from '../results/records.js';

export interface RoundResult {
  readonly round: number;
  readonly dir: string;
  readonly summary: RoundSummary;
  readonly valid: readonly EvalRow[];
  readonly test: readonly EvalRow[];
  /** The training rows, where they come with the round (an archive's); otherwise read from the round's train.csv. */
  readonly train?: readonly Record<string, number>[];
}

export interface TrialResult {
  readonly trial: number;
  readonly dir: string;
  readonly manifest: TrialManifest | undefined;
  /** Complete rounds only, by round number. */
  readonly rounds: readonly RoundResult[];
}

export interface ConfigResult {
  readonly dir: string;
  /** Path of the configuration directory relative to the scanned root ('/'-separated): the key across two roots. */
  readonly key: string;
  readonly experimentId: string;
  readonly config: ExperimentConfig;
  readonly trials: readonly TrialResult[];
}

export interface ResultsSet {
  readonly root: string;
  readonly configs: readonly ConfigResult[];
  /** What was skipped and why, one line each. */
  readonly notes: readonly string[];
  /** Read from an archive's tidy CSVs (core/report/archive.ts): no weights, masks or other raw files to read. */
  readonly archive?: boolean;
}
