/**
 * The first half of the one orchestration path (rsn train, rsn bench and the library): check everything a run
 * depends on that can be checked without its backend and data, writing nothing. Paths must be folders that can
 * be written, the environment's settings must parse, configuration folders must be claimable (no older layout,
 * a matching config.json, no live lease under --force), and every round kept on disk must be whole
 * (results/verify.ts): damage is refused with the file and what to do, never kept as complete.
 */
import { ResultsDamagedError } from '../errors.js';
import { modelSpec } from '../nn/model.js';
import { checkAppendableFile, checkFolderPath } from '../results/base-dir.js';
import { leaseStaleMs } from '../results/lease.js';
import { roundDir } from '../results/paths.js';
import { deleteRoundHint, isRoundComplete } from '../results/store.js';
import { manifestDamage, roundDamage } from '../results/verify.js';
import { checkClaim, refuseForceWhileHeld } from './claim.js';
import { isJobDone, jobDir, jobRounds, type Job } from './jobs/job.js';

/** What a caller asks to run, with its settings checked by the caller (cli/actions, api/run.ts). */
export interface RunRequest {
  readonly jobs: readonly Job[];
  /** The backend as the caller named it; undefined: RSN_BACKEND, else the default. The name is already checked. */
  readonly backend: string | undefined;
  readonly dataDir?: string;
  readonly download: boolean;
  /** Delete the configurations' results first and retrain them. */
  readonly force: boolean;
  /** Let a trial resumed on another backend hold rounds of both (each round's backend is recorded). */
  readonly allowMixedBackends: boolean;
  readonly batchTrials: number | 'auto';
  /** At most this many worker processes. */
  readonly workers: number;
  /** Append every evaluation to this JSON Lines file. */
  readonly logJsonl?: string;
  /** Deliver every evaluation record to the caller (the library's onEvaluation). */
  readonly evaluations: boolean;
}

/** A checked request: which jobs are complete on disk and which are to run. */
export interface Plan {
  readonly request: RunRequest;
  readonly done: readonly Job[];
  readonly pending: readonly Job[];
  /** The log's absolute path. */
  readonly logJsonl?: string;
  /** Lease staleness from RSN_LEASE_STALE_S. */
  readonly staleMs: number;
}

const forceHint = (what: string) => `${what}; or pass --force to delete the configuration's results and retrain it`;

/** Refuse a trial whose kept files are damaged: its manifest, and every round it holds complete. */
export function verifyKept(job: Job): void {
  const dir = jobDir(job);
  const manifest = manifestDamage(dir);
  if (manifest) {
    throw new ResultsDamagedError(`${manifest.file} is damaged (${manifest.problem})`,
      forceHint(`delete it (rm '${manifest.file}'): the next run writes a new one; the rounds on disk are kept, but the manifest then lists only rounds trained from then on`));
  }
  const spec = modelSpec(job.config.model);
  for (let round = 0; round < jobRounds(job); round++) {
    if (!isRoundComplete(dir, round, spec)) continue;
    const damage = roundDamage(roundDir(dir, round), spec);
    if (damage) throw new ResultsDamagedError(`${damage.file} is damaged (${damage.problem})`, forceHint(deleteRoundHint(roundDir(dir, round))));
  }
}

/** Check a request without writing anything; throws the first problem found, an RsnError naming it and the fix. */
export function planRun(request: RunRequest): Plan {
  const staleMs = leaseStaleMs();
  const logJsonl = request.logJsonl !== undefined ? checkAppendableFile(request.logJsonl, '--log_jsonl') : undefined;
  const configs = new Map(request.jobs.map((job) => [job.dir, job.config]));
  for (const [dir, config] of configs) {
    checkFolderPath(dir, '--base_dir', `the results folder ${dir}`);
    checkClaim(dir, config, request.force);
    if (request.force) refuseForceWhileHeld(dir, staleMs);
  }
  if (request.force) return { request, done: [], pending: [...request.jobs], logJsonl, staleMs };
  for (const job of request.jobs) verifyKept(job);
  return { request, done: request.jobs.filter(isJobDone), pending: request.jobs.filter((job) => !isJobDone(job)), logJsonl, staleMs };
}
