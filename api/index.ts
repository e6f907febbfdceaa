/**
 * rsn as a library (package.json "exports": "rsn"). Run a configuration or one trial with callbacks, read a
 * results directory, write the report, read a round's weights:
 *
 *   import { runExperiment, loadResults, writeReport } from 'rsn';
 *   const run = await runExperiment({ experiment: 'reinit_orig', trials: 1, train_iters: 500, prune_iters: 2 },
 *     { baseDir: 'results', onEvaluation: (r) => console.log(r.round, r.iteration, r.test_acc) });
 *   const rounds = loadResults('results').configs[0]!.trials[0]!.rounds;   // summaries, metrics, weights' folders
 *   await writeReport('results');                                          // results/report/: figures, tables, CSVs
 *
 * docs/library.md has a longer example.
 */
export { runExperiment, runTrial, type ExperimentRun, type RunExperimentOptions } from './run.js';
export { backendDetails, type BackendDetails } from './provenance.js';
export { loadRoundWeights, type ParameterWeights } from './weights.js';
export { audit, type AuditOptions } from './audit.js';
export { AUDIT_RUNGS, DEFAULT_AUDIT, type AuditRung, type AuditSettings } from '../core/audit/settings.js';
export { AUDIT_COLUMNS, auditFindings, auditRows } from '../core/audit/table.js';
export type { AuditProgress, RoundAudit } from '../core/audit/run.js';
export { MODELS, MODEL_NAMES, modelSpec, type ModelSpec, type ParameterSpec } from '../core/nn/models/index.js';
export { backendNames, DEFAULT_BACKEND } from '../backends/registry.js';
export {
  CONFIG_FIELDS, DEFAULT_CONFIG, experimentId, validateConfig, STRATEGIES, RESET_TARGETS,
  type ExperimentConfig, type Strategy, type ResetTarget,
} from '../core/experiment/config.js';
export type { EvaluationRecord } from '../core/experiment/evaluation-record.js';
export type { TrialProgress } from '../core/experiment/runner.js';
export type { EarlyStopping, RoundSummary, SplitMetrics, TrialManifest, EvalRow } from '../core/results/records.js';
export { loadResults, NoResultsError, CorruptResultsError, type ResultsSet, type ConfigResult, type TrialResult, type RoundResult } from '../core/report/load.js';
export { writeReport, DEFAULT_ITERATION, type ReportOptions, type ReportResult, type ReportSection } from '../core/report/report.js';
export { readNpy } from '../core/results/npy.js';
export { RsnError, ConfigError, LeaseHeldError, MixedBackendsError, ResultsDamagedError, FileWriteError, DataError, BackendError } from '../core/errors.js';
