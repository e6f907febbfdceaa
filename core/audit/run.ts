/**
 * Auditing a results directory: every complete round of every trial of every configuration (any model), rung by
 * rung, under a lease per round; rungs already on disk are read, not recomputed, so an interrupted audit
 * resumes and another --attacks reuses what is there.
 */
import { acquireLease, describeHolder } from '../results/lease.js';
import { cachedDataLoader, type DataLoader } from '../experiment/run.js';
import type { LoadOptions } from '../data/index.js';
import { loadResults, readEvalCsv, type ConfigResult } from '../report/load.js';
import { modelSpec } from '../nn/model.js';
import * as paths from '../results/paths.js';
import { loadKernels } from '../results/store.js';
import { rowsOf, sampleRows } from './images.js';
import { auditClean, auditRung, auditSweep, robustOf, roundFlags, type AuditTarget, type RungRecord, type SweepRecord } from './round.js';
import type { Flag } from '../attacks/strong/index.js';
import { auditDir, readRecord, recordFile, writeRecord } from './store.js';
import type { AuditRung, AuditSettings } from './settings.js';
import { mkdirSync } from 'node:fs';

/** One round's audit, as the table and the report read it. */
export interface RoundAudit {
  readonly config: ConfigResult;
  readonly trial: number;
  readonly round: number;
  readonly percentRemaining: number;
  readonly clean: number;
  readonly rungs: readonly RungRecord[];
  readonly robustAccuracy: number;
  readonly sweep?: SweepRecord;
  readonly flags: readonly Flag[];
}

export interface AuditProgress {
  readonly config: string;
  readonly trial: number;
  readonly round: number;
  /** The record being worked on ('clean', a rung, 'sweep'), and whether it was read from disk. */
  readonly what: string;
  readonly done: number;
  readonly total: number;
  readonly kept: boolean;
}

export interface AuditOptions {
  readonly onProgress?: (p: AuditProgress) => void;
  /** A round another live process is auditing is skipped and reported here. */
  readonly onHeld?: (roundDir: string, holder: string) => void;
  readonly data?: LoadOptions;
  /** Only these rounds (default: every complete round). */
  readonly rounds?: readonly number[];
}

/** Audit every complete round under `root` with the active backend. */
export async function auditResults(root: string, settings: AuditSettings, options: AuditOptions = {}): Promise<RoundAudit[]> {
  const set = loadResults(root);
  const loadData: DataLoader = cachedDataLoader(options.data ?? {});
  const rounds = set.configs.flatMap((config) => config.trials.flatMap((trial) => trial.rounds
    .filter((round) => !options.rounds || options.rounds.includes(round.round)).map((round) => ({ config, trial, round }))));
  const perRound = settings.rungs.length + 1 + (settings.sweep.length > 0 ? 1 : 0);
  const total = rounds.length * perRound;
  let done = 0;
  const out: RoundAudit[] = [];
  for (const { config, trial, round } of rounds) {
    const dir = paths.roundDir(trial.dir, round.round);
    mkdirSync(auditDir(dir), { recursive: true });
    const leased = await acquireLease(auditDir(dir));
    if ('heldBy' in leased) {
      options.onHeld?.(dir, describeHolder(leased.heldBy));
      done += perRound;
      continue;
    }
    try {
      const spec = modelSpec(config.config.model);
      const data = await loadData(config.config);
      const rows = sampleRows(data.test.count, settings.images === 'all' ? data.test.count : settings.images, settings.seed);
      const tests = readEvalCsv(paths.metricsFile(dir, 'test'));
      const last = tests[tests.length - 1];
      const target: AuditTarget = {
        config: config.config, spec, trial: trial.trial, round: round.round,
        weights: loadKernels(trial.dir, round.round, 'post_kernels', spec), masks: loadKernels(trial.dir, round.round, 'masks', spec),
        source: trial.rounds.some((r) => r.round === 0)
          ? { weights: loadKernels(trial.dir, 0, 'post_kernels', spec), masks: loadKernels(trial.dir, 0, 'masks', spec) } : undefined,
        test: data.test, audited: rows.length === data.test.count ? data.test : rowsOf(data.test, rows), allImages: rows.length === data.test.count,
        sizes: { train: data.train.count, valid: data.valid?.count ?? 0 },
        lastTestRow: last ? { loss: last.loss, acc: last.acc, adv_acc: last.adv_acc, adv_loss: last.adv_loss, afterLastStep: last.step === config.config.train_iters } : undefined,
      };
      const step = <T>(what: string, file: string, compute: () => T | Promise<T>): Promise<T> => (async () => {
        const kept = readRecord<T>(file);
        options.onProgress?.({ config: config.key, trial: trial.trial, round: round.round, what, done, total, kept: kept !== undefined });
        const record = kept ?? (await compute());
        if (kept === undefined && record !== undefined) writeRecord(file, record);
        done++;
        return record;
      })();
      const { eps, pgd_iters: pgdIters } = config.config;
      const clean = await step('clean', recordFile(dir, 'clean', settings, eps, pgdIters), () => auditClean(target));
      const rungs: RungRecord[] = [];
      for (const rung of settings.rungs) {
        const record = await step<RungRecord | undefined>(rung, recordFile(dir, rung, settings, eps, pgdIters), () => auditRung(target, rung as AuditRung, settings));
        if (record) rungs.push(record);
      }
      const sweep = settings.sweep.length > 0 ? await step('sweep', recordFile(dir, 'sweep', settings, eps, pgdIters), () => auditSweep(target, settings)) : undefined;
      const robust = robustOf(clean.correct, rungs);
      out.push({
        config, trial: trial.trial, round: round.round, percentRemaining: round.summary.percent_remaining, clean: clean.accuracy,
        rungs, robustAccuracy: robust.accuracy, sweep, flags: roundFlags(rungs, sweep),
      });
    } finally {
      leased.lease.release();
    }
  }
  return out;
}
