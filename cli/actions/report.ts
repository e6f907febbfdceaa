import { paperComparisonSection } from '../../benchmarks/paper/compare.js';
import { writeReport } from '../../core/report/report.js';

/** The parsed flags of rsn report (cli/commands/report.ts). */
export interface ReportFlags {
  readonly out?: string;
  readonly iteration: number;
  readonly compare?: string;
  readonly png: boolean;
}

/** `rsn report`: figures, tables, the comparison with the paper and an HTML page from a results directory. */
export async function report(resultsDir: string, options: ReportFlags): Promise<void> {
  const result = await writeReport(resultsDir, { ...options, sections: paperComparisonSection });
  for (const section of result.sections) process.stdout.write(section.markdown);
  if (result.crossRunMarkdown) process.stdout.write(`\n${result.crossRunMarkdown}`);
  for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
  process.stderr.write(`rsn report: wrote ${result.files.length} files (${result.figures.length} figures) to ${result.out}; open index.html\n`);
}
