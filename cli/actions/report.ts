import { dirname } from 'node:path';
import { paperComparisonSection } from '../../benchmarks/paper/compare.js';
import { FileWriteError } from '../../core/errors.js';
import { writeReport, type ReportResult } from '../../core/report/report.js';
import { labelled, wrap } from '../wrap.js';

/** The parsed flags of rsn report (cli/commands/report.ts). */
export interface ReportFlags {
  readonly out?: string;
  readonly iteration: number;
  readonly compare?: string;
  readonly png: boolean;
  readonly print?: boolean;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** What `rsn report` says it did, in 80 columns: what it read, what it wrote where, what the comparisons found. */
export function reportSummary(resultsDir: string, result: ReportResult): string {
  const { read } = result;
  const figures = result.files.filter((f) => f.startsWith('figures/'));
  const formats = [...new Set(figures.map((f) => f.slice(f.lastIndexOf('.') + 1).toUpperCase()))].join(' and ');
  const lines = [
    labelled(`rsn report: read ${plural(read.configs, 'configuration')}, ${plural(read.trials, 'trial')}, ${plural(read.rounds, 'complete round')} from`, resultsDir),
    labelled(`wrote ${plural(result.files.length, 'file')} to`, result.out),
    '  index.html: all of it on one page',
    `  figures/: ${plural(result.figures.length, 'figure')}${formats ? ` (${formats})` : ''}`,
    wrap(`tables: ${plural(result.tables, 'table')} of test accuracy, every round (tables.md, tables.tex)`, undefined, '  ', '    '),
    wrap(`data: ${result.files.filter((f) => f.endsWith('.csv')).join(', ')} (columns: docs/results.md)`, undefined, '  ', '    '),
    ...result.sections.flatMap((s) => (s.summary ? [wrap(s.summary, undefined, '', '  ')] : [])),
    ...(result.crossRunMarkdown ? ['the two results directories side by side: backend-comparison.md'] : []),
  ];
  if (result.notes.length > 0) lines.push(wrap(`${plural(result.notes.length, 'note')} on what could not be drawn or compared: in index.html, or --print`));
  return `${lines.join('\n')}\n`;
}

/** A report file that cannot be written: what to do is about --out, not about the results. */
function reportWriteError(error: FileWriteError, given: string | undefined): FileWriteError {
  const where = given === undefined ? 'the default --out is <results_dir>/report' : `--out is ${given}`;
  const fix = error.code === 'ENOSPC' || error.code === 'EDQUOT' ? `free space on that disk (df -h '${dirname(error.path)}')` : 'make that folder writable';
  return new FileWriteError(error.path, error.code, `${fix}, or write the report elsewhere with --out DIR (${where}); the results are only read`);
}

/** `rsn report`: figures, tables, the comparison with the paper and an HTML page from a results directory. */
export async function report(resultsDir: string, options: ReportFlags): Promise<void> {
  let result: Awaited<ReturnType<typeof writeReport>>;
  try {
    result = await writeReport(resultsDir, { ...options, sections: paperComparisonSection });
  } catch (error) {
    throw error instanceof FileWriteError ? reportWriteError(error, options.out) : error;
  }
  if (options.print) {
    process.stdout.write(result.tablesMarkdown);
    for (const section of result.sections) process.stdout.write(`\n${section.markdown}`);
    if (result.crossRunMarkdown) process.stdout.write(`\n${result.crossRunMarkdown}`);
    for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
  }
  process.stdout.write(`${options.print ? '\n' : ''}${reportSummary(resultsDir, result)}`);
}
