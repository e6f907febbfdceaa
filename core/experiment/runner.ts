import { existsSync } from 'node:fs';
import { ConfigError, ResultsDamagedError } from '../errors.js';
import { cpus, hostname, platform, totalmem } from 'node:os';
import { attackSpec } from '../attacks/index.js';
import { writeFileAtomic } from '../results/atomic.js';
import { modelSpec, type ParameterArrays } from '../nn/model.js';
import { initialWeights, fullMasks } from '../nn/model.js';
import { Rng } from '../nn/rng.js';
import { percentRemaining, pruneParameters, countOnes } from '../pruning/magnitude.js';
import { pruneRates } from '../pruning/rates.js';
import type { ExperimentConfig } from './config.js';
import * as paths from '../results/paths.js';
import { trainRounds, type PreparedData } from './round.js';
import { checkOneStepProgram } from './step-program.js';
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
  /** The positions in the batch (runTrials) of the trials this progress is about: [0] for a single trial. */
  readonly members: readonly number[];
}

export interface TrialOptions {
  readonly configDir: string;
  readonly backend: string;
  readonly onProgress?: (progress: TrialProgress) => void;
  /** Called after each round is saved, and for each completed round found on disk (skipped = true). */
  readonly onRound?: (trial: number, summary: RoundSummary, skipped: boolean, member: number) => void;
  /** Called after each evaluation of a round being trained (not for rounds found complete on disk). */
  readonly onEvaluation?: (record: EvaluationRecord) => void;
  /** The experiment id, for the evaluation records (default: the configuration directory's name above the layout). */
  readonly experimentId?: string;
  /** Details of the backend for the manifest (BLAS build, tfjs backend, adapter); the caller knows them. */
  readonly backendDetails?: Readonly<Record<string, string | number | boolean>>;
  /** Why a round's sets stay on the host where the backend could keep them (round.ts, RoundOptions.onNotice). */
  readonly onNotice?: (message: string) => void;
}

/** One trial of a batch: its configuration, prepared data, number and results directory. */
export interface BatchTrial {
  readonly config: ExperimentConfig;
  readonly data: PreparedData;
  readonly trial: number;
  readonly configDir: string;
  readonly experimentId?: string;
}

export type BatchOptions = Omit<TrialOptions, 'configDir' | 'experimentId'>;

/** Streams of randomness, all derived from the seed: (trial, purpose, round). */
const PURPOSE = { init: 1, reinit: 2, batches: 3, attack: 4, evaluation: 5 } as const;

/** The stream a round's evaluations drew from (its attacks' random starts): what an audit replays (core/audit). */
export const evaluationStream = (seed: number, trial: number, round: number): Rng => new Rng(seed).derive(trial).derive(PURPOSE.evaluation, round);

function readManifest(file: string, trial: number, config: ExperimentConfig, options: BatchOptions): TrialManifest {
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
export const runTrial = (config: ExperimentConfig, data: PreparedData, trial: number, options: TrialOptions): Promise<void> =>
  runTrials([{ config, data, trial, configDir: options.configDir, experimentId: options.experimentId }], options);

/** Where one trial of a batch stands between rounds. */
interface TrialState {
  readonly member: BatchTrial;
  readonly root: Rng;
  readonly dir: string;
  readonly manifestFile: string;
  readonly manifest: TrialManifest;
  readonly rounds: number;
  readonly initial: ParameterArrays;
  masks: ParameterArrays;
  round0Trained?: ParameterArrays;
  lastTrained?: ParameterArrays;
}

/**
 * Run (or resume) several trials in lockstep, each round's networks stacked and trained as one computation
 * (round.ts, trainRounds). The trials share a step program (stepProgramKey) but may differ in data set,
 * strategy, reset, seed and trial number. Each trial's draws come from its own streams and each round is saved
 * in its own trial folder, exactly as runTrial would: on the reference backend the results are bit-identical to
 * running the trials one at a time. A round found complete on disk is loaded, never retrained or overwritten;
 * the trials still missing that round are trained together.
 */
export async function runTrials(batch: readonly BatchTrial[], options: BatchOptions): Promise<void> {
  if (batch.length === 0) return;
  checkOneStepProgram(batch.map((m) => m.config));
  const config = batch[0]!.config;
  const spec = modelSpec(config.model);
  if (batch.length > 1 && !spec.stackable) {
    throw new ConfigError(`model ${spec.name} trains one network at a time; ${batch.length} trials were given to train together`, 'use --batch_trials 1 (auto chooses it for this model)');
  }
  const attack = attackSpec(config.attack, { eps: config.eps, step: config.pgd_step, iterations: config.pgd_iters });
  const states: TrialState[] = batch.map((member) => {
    const root = new Rng(member.config.seed).derive(member.trial);
    const dir = paths.trialDir(member.configDir, member.trial);
    const manifestFile = paths.trialManifest(dir);
    return {
      member, root, dir, manifestFile,
      manifest: readManifest(manifestFile, member.trial, member.config, options),
      rounds: roundsFor(member.config.experiment, member.config.prune_iters),
      initial: initialWeights(spec, root.derive(PURPOSE.init), member.config.init),
      masks: fullMasks(spec),
    };
  });
  const allRounds = Math.max(...states.map((s) => s.rounds));

  for (let round = 0; round < allRounds; round++) {
    const training: { state: TrialState; index: number; start: ParameterArrays }[] = [];
    states.forEach((state, index) => {
      if (round >= state.rounds) return;
      const { member } = state;
      if (isRoundComplete(state.dir, round, spec)) {
        state.lastTrained = loadKernels(state.dir, round, 'post_kernels', spec);
        state.masks = loadKernels(state.dir, round, 'masks', spec);
        const trainIters = member.config.train_iters;
        options.onProgress?.({ trial: member.trial, round, rounds: state.rounds, iteration: trainIters, trainIters, phase: 'skip', members: [index] });
        const summary = loadSummary(state.dir, round); // read even when nobody listens: a damaged summary is found now
        options.onRound?.(member.trial, summary, true, index);
        return;
      }
      // Each round's draws come from its own derived streams, so skipping completed rounds changes nothing here.
      const start = round === 0
        ? state.initial
        : nextRoundWeights(member.config.experiment, member.config.reset_to,
            { initial: state.initial, round0Trained: state.round0Trained!, lastTrained: state.lastTrained! },
            spec, member.config.init, state.root.derive(PURPOSE.reinit, round));
      if (round > 0) state.masks = pruneParameters(state.lastTrained!, state.masks, pruneRates(spec, member.config.prune_rates));
      training.push({ state, index, start });
    });
    if (training.length > 0) await trainTogether(training, round, config, spec, attack, options);
    for (const state of states) if (round === 0) state.round0Trained = state.lastTrained;
  }
}

/** Train one round of the given trials as one computation, then save each trial's round and manifest. */
async function trainTogether(
  training: readonly { state: TrialState; index: number; start: ParameterArrays }[], round: number, config: ExperimentConfig,
  spec: ReturnType<typeof modelSpec>, attack: ReturnType<typeof attackSpec>, options: BatchOptions,
): Promise<void> {
  const members = training.map(({ state, index, start }) => {
    const { member, root } = state;
    const context = {
      config: member.config, experimentId: member.experimentId ?? '', configDir: member.configDir, trial: member.trial, round,
      percentRemaining: percentRemaining(spec, state.masks),
    };
    const onEvaluation = options.onEvaluation &&
      ((iteration: number, rows: Parameters<typeof evaluationRecord>[2]) => options.onEvaluation!(evaluationRecord(context, iteration, rows)));
    return {
      data: member.data, start, masks: state.masks, onEvaluation,
      rngs: { batches: root.derive(PURPOSE.batches, round), attack: root.derive(PURPOSE.attack, round), evaluation: root.derive(PURPOSE.evaluation, round) },
      index,
    };
  });
  const first = training[0]!.state;
  const commit = gitState()?.commit;
  const indices = training.map((t) => t.index);
  const began = performance.now();
  const results = await trainRounds(config, spec, attack, members, (iteration, phase) =>
    options.onProgress?.({ trial: first.member.trial, round, rounds: first.rounds, iteration, trainIters: config.train_iters, phase, members: indices }),
    { onNotice: options.onNotice });
  const wallSeconds = (performance.now() - began) / 1000;
  training.forEach(({ state, index, start }, k) => {
    const result = results[k]!;
    const summary: RoundSummary = {
      round, percent_remaining: percentRemaining(spec, state.masks), remaining: state.masks.map(countOnes),
      train_iters: config.train_iters, wall_seconds: wallSeconds,
      early_stopping: result.earlyStopping, early_stopping_original: result.earlyStoppingOriginal, final: result.final,
    };
    saveRound(state.dir, round, spec, { initKernels: start, masks: state.masks, postKernels: result.postKernels, train: result.train, valid: result.valid, test: result.test, summary });
    const entry = {
      round, wall_seconds: wallSeconds, backend: options.backend, ...(training.length > 1 ? { networks: training.length } : {}),
      rsn: RSN_VERSION, ...(commit ? { commit } : {}),
    };
    state.manifest.rounds = [...state.manifest.rounds.filter((r) => r.round !== round), entry];
    writeFileAtomic(state.manifestFile, `${JSON.stringify(state.manifest, null, 2)}\n`);
    state.lastTrained = result.postKernels;
    options.onRound?.(state.member.trial, summary, false, index);
  });
}

export type { PreparedData };
