import { existsSync } from 'node:fs';
import { ResultsDamagedError } from '../errors.js';
import { cpus, hostname, platform, totalmem } from 'node:os';
import { attackSpec } from '../attacks/index.js';
import { writeFileAtomic } from '../results/atomic.js';
import { modelSpec, type LayerArrays } from '../nn/model.js';
import { initialWeights, fullMasks } from '../nn/model.js';
import { Rng } from '../nn/rng.js';
import { percentRemaining, pruneLayers, countOnes } from '../pruning/magnitude.js';
import type { ExperimentConfig } from './config.js';
import * as paths from '../results/paths.js';
import { trainRound, type PreparedData } from './round.js';
import type { RoundSummary, TrialManifest } from '../results/records.js';
import { isRoundComplete, loadKernels, loadSummary, readResultsJson, saveRound } from '../results/store.js';
import { nextRoundWeights, roundsFor } from './strategies.js';
import { RSN_VERSION } from './version.js';
import { evaluationRecord, type EvaluationRecord } from './evaluation-record.js';
import { dependencyVersions, gitState } from './provenance.js';

export interface TrialProgress {
  readonly trial: number;
  readonly round: number;
  readonly rounds: number;
  readonly iteration: number;
  readonly trainIters: number;
  readonly phase: 'train' | 'eval' | 'skip';
}

export interface TrialOptions {
  readonly configDir: string;
  readonly backend: string;
  readonly onProgress?: (progress: TrialProgress) => void;
  /** Called after each round is saved, and for each completed round found on disk (skipped = true). */
  readonly onRound?: (trial: number, summary: RoundSummary, skipped: boolean) => void;
  /** Called after each evaluation of a round being trained (not for rounds found complete on disk). */
  readonly onEvaluation?: (record: EvaluationRecord) => void;
  /** The experiment id, for the evaluation records (default: the configuration directory's name above the layout). */
  readonly experimentId?: string;
  /** Details of the backend for the manifest (BLAS build, tfjs backend, adapter); the caller knows them. */
  readonly backendDetails?: Readonly<Record<string, string | number | boolean>>;
}

/** Streams of randomness, all derived from the seed: (trial, purpose, round). */
const PURPOSE = { init: 1, reinit: 2, batches: 3, attack: 4, evaluation: 5 } as const;

function readManifest(file: string, trial: number, config: ExperimentConfig, options: TrialOptions): TrialManifest {
  if (existsSync(file)) {
    const manifest = readResultsJson<TrialManifest>(file,
      `delete it (rm '${file}'): the next run writes a new one; the rounds on disk are kept, but the manifest then lists only rounds trained from then on`);
    if (!Array.isArray(manifest.rounds)) throw new ResultsDamagedError(`${file} is damaged (no "rounds" list)`, `delete it (rm '${file}'): the next run writes a new one`);
    return manifest;
  }
  const git = gitState();
  return {
    trial, seed: config.seed, backend: options.backend,
    versions: { rsn: RSN_VERSION, node: process.version, ...dependencyVersions() },
    ...(git ? { commit: git.commit, commit_dirty: git.dirty } : {}),
    ...(options.backendDetails ? { backend_details: { ...options.backendDetails } } : {}),
    machine: { hostname: hostname(), platform: platform(), cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_bytes: totalmem() },
    rounds: [],
  };
}

/**
 * Run (or resume) one trial: round 0 trains the dense network, each later round prunes the last trained
 * weights and restarts from the strategy's weights. Completed rounds on disk are loaded instead of retrained,
 * so a killed run resumes at the last completed round with the same results as an uninterrupted one.
 */
export async function runTrial(config: ExperimentConfig, data: PreparedData, trial: number, options: TrialOptions): Promise<void> {
  const spec = modelSpec(config.model);
  const attack = attackSpec(config.attack, { eps: config.eps, step: config.pgd_step, iterations: config.pgd_iters });
  const root = new Rng(config.seed).derive(trial);
  const dir = paths.trialDir(options.configDir, trial);
  const manifestFile = paths.trialManifest(dir);
  const manifest = readManifest(manifestFile, trial, config, options);
  const rounds = roundsFor(config.experiment, config.prune_iters);

  const initial = initialWeights(spec, root.derive(PURPOSE.init), config.init);
  let masks: LayerArrays = fullMasks(spec);
  let round0Trained: LayerArrays | undefined;
  let lastTrained: LayerArrays | undefined;

  for (let round = 0; round < rounds; round++) {
    if (isRoundComplete(dir, round)) {
      lastTrained = loadKernels(dir, round, 'post_kernels', spec);
      masks = loadKernels(dir, round, 'masks', spec);
      options.onProgress?.({ trial, round, rounds, iteration: config.train_iters, trainIters: config.train_iters, phase: 'skip' });
      const summary = loadSummary(dir, round); // read even when nobody listens: a damaged summary is found now
      options.onRound?.(trial, summary, true);
    } else {
      // Each round's draws come from its own derived streams, so skipping completed rounds changes nothing here.
      const start = round === 0
        ? initial
        : nextRoundWeights(config.experiment, config.reset_to, { initial, round0Trained: round0Trained!, lastTrained: lastTrained! },
            spec, config.init, root.derive(PURPOSE.reinit, round));
      if (round > 0) masks = pruneLayers(lastTrained!, masks);
      const context = { config, experimentId: options.experimentId ?? '', configDir: options.configDir, trial, round, percentRemaining: percentRemaining(masks) };
      const onEvaluation = options.onEvaluation && ((iteration: number, rows: Parameters<typeof evaluationRecord>[2]) => options.onEvaluation!(evaluationRecord(context, iteration, rows)));
      const began = performance.now();
      const result = await trainRound(config, spec, attack, data, start, masks, {
        batches: root.derive(PURPOSE.batches, round),
        attack: root.derive(PURPOSE.attack, round),
        evaluation: root.derive(PURPOSE.evaluation, round),
      }, (iteration, phase) => options.onProgress?.({ trial, round, rounds, iteration, trainIters: config.train_iters, phase }), onEvaluation);
      const wallSeconds = (performance.now() - began) / 1000;
      const summary: RoundSummary = {
        round, percent_remaining: percentRemaining(masks), remaining: masks.map(countOnes),
        train_iters: config.train_iters, wall_seconds: wallSeconds,
        early_stopping: result.earlyStopping, early_stopping_original: result.earlyStoppingOriginal, final: result.final,
      };
      saveRound(dir, round, spec, { initKernels: start, masks, postKernels: result.postKernels, train: result.train, valid: result.valid, test: result.test, summary });
      manifest.rounds = [...manifest.rounds.filter((r) => r.round !== round), { round, wall_seconds: wallSeconds, backend: options.backend }];
      writeFileAtomic(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
      lastTrained = result.postKernels;
      options.onRound?.(trial, summary, false);
    }
    if (round === 0) round0Trained = lastTrained;
  }
}

export type { PreparedData };
