import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chooseBackend } from '../../backends/registry.js';
import { setActiveBackend } from '../../core/autodiff/engine.js';
import { auditResults } from '../../core/audit/run.js';
import { parseRungs, parseSweep, validateAudit, type AuditSettings } from '../../core/audit/settings.js';
import { AUDIT_COLUMNS, auditFigure, auditFindings, auditRows } from '../../core/audit/table.js';
import { ConfigError } from '../../core/errors.js';
import { loadResults } from '../../core/report/load.js';
import { renderPng, renderSvg } from '../../core/report/render.js';
import { toCsv } from '../../core/results/csv.js';
import { writeFileAtomic } from '../../core/results/atomic.js';
import { ProgressBar } from '../progress.js';

/** A whole number flag, named in the message when it is not one. */
function whole(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new ConfigError(`--${flag} takes a whole number; got '${text}'`);
  return Number(text);
}

export function auditSettings(options: Record<string, string>): AuditSettings {
  const images = options.images!.trim() === 'all' ? 'all' : whole('images', options.images!);
  return validateAudit({
    rungs: parseRungs(options.attacks!), images, seed: whole('seed', options.seed!), sweep: parseSweep(options.sweep!),
    sweepImages: whole('sweep_images', options.sweep_images!),
    budget: {
      pgdIterations: whole('pgd_iterations', options.pgd_iterations!), pgdRestarts: whole('pgd_restarts', options.pgd_restarts!),
      apgdIterations: whole('apgd_iterations', options.apgd_iterations!), targets: whole('targets', options.targets!),
      squareQueries: whole('square_queries', options.square_queries!), transferIterations: whole('transfer_iterations', options.transfer_iterations!),
    },
  });
}

/** The backend the trials were trained on, when they all name one. */
function trainedOn(root: string): string | undefined {
  const names = new Set(loadResults(root).configs.flatMap((c) => c.trials.map((t) => t.manifest?.backend).filter((b): b is string => Boolean(b))));
  return names.size === 1 ? [...names][0] : undefined;
}

/** `rsn audit`: the ladder on every complete round, then audit.csv, the findings in words and the figure. */
export async function audit(resultsDir: string, options: Record<string, string>): Promise<void> {
  const settings = auditSettings(options);
  const root = resolve(resultsDir);
  if (!existsSync(root)) throw new ConfigError(`results directory '${resultsDir}' does not exist`, 'point rsn audit at the --base_dir of rsn train or rsn bench');
  const backend = await chooseBackend(options.backend ?? trainedOn(root));
  setActiveBackend(backend);
  process.stderr.write(`rsn audit: ${root} on backend ${backend.name}, rungs ${settings.rungs.join(', ')}\n`);
  let bar: ProgressBar | undefined;
  const rounds = options.rounds!.trim() === 'all' ? undefined : options.rounds!.split(',').map((r) => whole('rounds', r));
  const audits = await auditResults(root, settings, {
    rounds,
    onProgress: (p) => {
      bar ??= new ProgressBar(p.total);
      bar.update(p.done, `${p.config.split('/').slice(1, 5).join('/')} trial ${p.trial} round ${p.round}: ${p.what}${p.kept ? ' (kept)' : ''}`);
    },
    onHeld: (dir, holder) => process.stderr.write(`skipped ${dir}: its audit is being run by ${holder}\n`),
  });
  bar?.done();
  const out = resolve(options.out ?? join(root, 'report'));
  mkdirSync(join(out, 'figures'), { recursive: true });
  writeFileAtomic(join(out, 'audit.csv'), toCsv(AUDIT_COLUMNS, auditRows(audits)));
  writeFileAtomic(join(out, 'audit-findings.md'), `${auditFindings(audits)}\n`);
  const svg = await renderSvg(auditFigure(audits));
  writeFileAtomic(join(out, 'figures', 'audit.svg'), svg);
  writeFileAtomic(join(out, 'figures', 'audit.png'), renderPng(svg));
  const raised = audits.reduce((n, a) => n + a.flags.filter((f) => f.raised).length, 0);
  const unreproduced = audits.filter((a) => a.rungs.some((r) => r.reproduces && !r.reproduces.equal)).length;
  process.stderr.write(`rsn audit: ${audits.length} round(s) audited, ${raised} masking flag(s) raised` +
    `${unreproduced > 0 ? `; the run's own attack was NOT reproduced in ${unreproduced} round(s) (another backend than the run's?)` : ''}\n` +
    `wrote ${join(out, 'audit.csv')}, ${join(out, 'audit-findings.md')}, ${join(out, 'figures', 'audit.png')}\n` +
    `rsn report ${resultsDir}${options.out ? ` --out ${options.out}` : ''} puts the audit into index.html\n`);
}
