/**
 * `rsn report`: everything from one results directory into one output directory.
 *   figures/<family>-{test-acc,test-adv-acc,test-loss,early-stopping,init-weights}.{svg,png}
 *   tables.md, tables.tex          the paper's table layout, per setting, strategy and dataset
 *   results.csv                    tidy: one row per trial x round x evaluation x split, every setting a column
 *   summaries.csv, rounds.csv      per trial x round (summary.json), per configuration x round (over trials)
 *   <extra>.md, <extra>.csv        sections the caller adds (rsn report: the comparison with the paper)
 *   backend-comparison.md          with --compare: a second results directory side by side
 *   index.html                     all of the above on one self-contained page
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PAPER_ROW_STEP } from '../experiment/schedule.js';
import { writeFileAtomic } from '../results/atomic.js';
import { compareRuns, crossRunMarkdown } from './crossrun.js';
import { curveFigures, earlyStoppingFigure, type Figure } from './figures.js';
import { families } from './groups.js';
import { renderHtml, type HtmlFigure } from './html.js';
import { loadResults, type ResultsSet } from './load.js';
import { renderPng, renderSvg } from './render.js';
import { accuracyTables, tableLatex, tableMarkdown } from './tables.js';
import { toCsv } from '../results/csv.js';
import { RESULTS_COLUMNS, resultsRows, ROUND_COLUMNS, roundRows, summaryColumns, summaryRows } from './results-csv.js';
import { resetComparisonFigures, resetComparisonTables } from './reset-comparison.js';
import { weightsFigure } from './weights.js';

/**
 * Tables and comparisons read, by default, the evaluation the paper's tables read: the original's row labelled
 * 30,000, made after training step 25,021 (experiment/schedule.ts), or the last evaluation before it.
 */
export const DEFAULT_ITERATION = PAPER_ROW_STEP;

export interface ReportOptions {
  /** Output directory; default <resultsDir>/report. */
  readonly out?: string;
  /** Training step of the tables and comparisons (the evaluation at or below it). */
  readonly iteration?: number;
  /** A second results directory to compare with (accuracy agreement and speed). */
  readonly compare?: string;
  /** Also write PNGs (default true). */
  readonly png?: boolean;
  /** Sections the caller derives from the results (each written to its own file and shown on the page). */
  readonly sections?: (set: ResultsSet, iteration: number) => readonly ReportSection[];
}

/** A Markdown section of the report: written as `file` and shown on the HTML page after the tables. */
export interface ReportSection {
  readonly file: string;
  readonly markdown: string;
  /** The section's data as a CSV file beside it. */
  readonly csv?: { readonly file: string; readonly text: string };
  /** What the section found, in one line for the terminal. */
  readonly summary?: string;
}

export interface ReportResult {
  readonly out: string;
  /** What was read: configurations, trials with at least one complete round, complete rounds. */
  readonly read: { readonly configs: number; readonly trials: number; readonly rounds: number };
  /** The tables written: one per setting, strategy and dataset. */
  readonly tables: number;
  /** tables.md's text. */
  readonly tablesMarkdown: string;
  /** Paths written, relative to `out`. */
  readonly files: readonly string[];
  readonly figures: readonly Figure[];
  readonly sections: readonly ReportSection[];
  readonly crossRunMarkdown: string | undefined;
  /** What was skipped or left out, one line each. */
  readonly notes: readonly string[];
}

export function reportFigures(set: ResultsSet, iteration: number = DEFAULT_ITERATION): { figures: Figure[]; notes: string[] } {
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const family of families(set)) {
    const made = [...curveFigures(family), ...earlyStoppingFigure(family), ...(set.archive ? [] : weightsFigure(family))];
    if (set.archive) notes.push(`${family.label}: read from an archive (results.csv, summaries.csv) without the weights, so no weight distributions`);
    else if (!family.strategies.reinit_orig) notes.push(`${family.label}: no original (reinit_orig) results, so no weight distributions`);
    if (made.length === 0) notes.push(`${family.label}: no figure (no data to draw)`);
    figures.push(...made);
  }
  figures.push(...resetComparisonFigures(set, iteration));
  return { figures, notes };
}

/**
 * What rsn audit wrote into the report folder (audit-findings.md, figures/audit.svg), for the page: the audit's
 * figure beside the others and its findings after the tables. Absent until rsn audit has run with this --out.
 */
function auditOutputs(out: string): { figure: HtmlFigure; findings: string } | undefined {
  const [findings, svg] = [join(out, 'audit-findings.md'), join(out, 'figures', 'audit.svg')];
  if (!existsSync(findings) || !existsSync(svg)) return undefined;
  return {
    figure: {
      name: 'audit', title: 'Audit: accuracy under each attack of the ladder, by % of weights remaining',
      caption: "rsn audit's ladder per round: the run's own PGD-10 beside stronger attacks and the worst case per image (the robust accuracy); audit.csv holds the numbers",
      svg: readFileSync(svg, 'utf8'), notes: [],
    },
    findings: readFileSync(findings, 'utf8'),
  };
}

export async function writeReport(resultsDir: string, options: ReportOptions = {}): Promise<ReportResult> {
  const iteration = options.iteration ?? DEFAULT_ITERATION;
  const set = loadResults(resultsDir);
  const other = options.compare !== undefined ? loadResults(options.compare) : undefined;
  const out = resolve(options.out ?? join(resultsDir, 'report'));
  const files: string[] = [];
  const write = (name: string, data: string | Uint8Array) => {
    writeFileAtomic(join(out, name), data);
    files.push(name);
  };

  const { figures, notes: figureNotes } = reportFigures(set, iteration);
  const htmlFigures: HtmlFigure[] = [];
  for (const figure of figures) {
    const svg = await renderSvg(figure.spec);
    write(`figures/${figure.name}.svg`, svg);
    if (options.png !== false) write(`figures/${figure.name}.png`, renderPng(svg));
    htmlFigures.push({ name: figure.name, title: figure.title, caption: figure.caption, svg, notes: figure.notes });
  }

  const tables = accuracyTables(set, iteration);
  const resetTables = resetComparisonTables(set, iteration);
  const tablesMarkdown = `## Tables: test accuracy in every round\n\n${tables.map(tableMarkdown).join('\n')}` +
    (resetTables ? `\n## The reset: theta_0 beside round 0's trained weights\n\n${resetTables}\n` : '');
  write('tables.md', tablesMarkdown);
  write('tables.tex', `% Requires \\usepackage{booktabs}.\n${tables.map(tableLatex).join('\n')}`);

  write('results.csv', toCsv(RESULTS_COLUMNS, resultsRows(set)));
  write('summaries.csv', toCsv(summaryColumns(set), summaryRows(set)));
  write('rounds.csv', toCsv(ROUND_COLUMNS, roundRows(set, iteration)));

  const sections = options.sections?.(set, iteration) ?? [];
  for (const section of sections) {
    write(section.file, section.markdown);
    if (section.csv) write(section.csv.file, section.csv.text);
  }

  const crossRun = other ? crossRunMarkdown(compareRuns(set, other, iteration)) : undefined;
  if (crossRun) write('backend-comparison.md', crossRun);

  const notes = [...set.notes, ...(other?.notes ?? []).map((n) => `[${options.compare}] ${n}`), ...figureNotes,
    ...figures.flatMap((f) => f.notes.map((n) => `${f.title}: ${n}`))];
  const intro = [
    `Results: \`${resolve(resultsDir)}\` (${set.configs.length} configuration(s), ` +
      `${set.configs.reduce((n, c) => n + c.trials.length, 0)} trial(s) with at least one complete round).`,
    `Tables and comparisons at the evaluation at or below iteration ${iteration}.`,
  ].join('\n');
  const audit = auditOutputs(out);
  write('index.html', renderHtml({
    title: 'rsn report: sparse, robust networks', intro, figures: [...htmlFigures, ...(audit ? [audit.figure] : [])], notes,
    sections: [tablesMarkdown, ...sections.map((section) => section.markdown), ...(crossRun ? [crossRun] : []), ...(audit ? [audit.findings] : [])],
  }));
  const read = {
    configs: set.configs.length,
    trials: set.configs.reduce((n, c) => n + c.trials.length, 0),
    rounds: set.configs.reduce((n, c) => n + c.trials.reduce((m, t) => m + t.rounds.length, 0), 0),
  };
  return { out, read, tables: tables.length, tablesMarkdown, files, figures, sections, crossRunMarkdown: crossRun, notes };
}
