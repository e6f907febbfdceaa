/**
 * Auditing results from a script: the same ladder and records as `rsn audit` (core/audit), with the backend chosen
 * by name. Rungs already on disk are read back; the returned rounds feed auditRows (audit.csv) and auditFindings.
 */
import { chooseBackend } from '../backends/registry.js';
import { setActiveBackend } from '../core/autodiff/engine.js';
import { auditResults, type AuditProgress, type RoundAudit } from '../core/audit/run.js';
import { DEFAULT_AUDIT, validateAudit, type AuditSettings } from '../core/audit/settings.js';

export interface AuditOptions {
  /** Backend name (default: RSN_BACKEND, else the default backend). Use the runs' backend to replay their attack bit for bit. */
  readonly backend?: string;
  /** Settings over DEFAULT_AUDIT (rungs, images, seed, budget, sweep). */
  readonly settings?: Partial<AuditSettings>;
  /** Only these rounds (default: every complete round). */
  readonly rounds?: readonly number[];
  readonly onProgress?: (progress: AuditProgress) => void;
}

/** Audit every complete round under `resultsDir` (rsn audit's work, without its files). */
export async function audit(resultsDir: string, options: AuditOptions = {}): Promise<RoundAudit[]> {
  const settings = validateAudit({ ...DEFAULT_AUDIT, ...options.settings });
  setActiveBackend(await chooseBackend(options.backend));
  return auditResults(resultsDir, settings, { rounds: options.rounds, onProgress: options.onProgress });
}
