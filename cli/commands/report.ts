import { Command, InvalidArgumentError } from 'commander';
import { paperComparisonSection } from '../../benchmarks/paper/compare.js';
import { DEFAULT_ITERATION, writeReport } from '../../core/report/report.js';

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of training steps');
  return n;
};

/** `rsn report`: figures, tables, the comparison with the paper and an HTML page from a results directory. */
export function reportCommand(): Command {
  return new Command('report')
    .description("figures, tables (Markdown, LaTeX), the comparison with the paper's Tables 1-2 and one HTML page from a results directory")
    .argument('<results_dir>', 'results directory (the --base_dir of rsn train / rsn bench, or any folder below it)')
    .option('--out <dir>', 'output directory (default: <results_dir>/report)')
    .option('--iteration <n>', "training step of the tables and comparisons: the evaluation at or below it (default: the paper's evaluation, labelled 30,000 by the original, after step 25,021)", positiveInt, DEFAULT_ITERATION)
    .option('--compare <dir>', 'a second results directory of the same preset (e.g. another backend): accuracy agreement and speed')
    .option('--no-png', 'write SVG figures only')
    .action(async (resultsDir: string, options: { out?: string; iteration: number; compare?: string; png: boolean }) => {
      const result = await writeReport(resultsDir, { ...options, sections: paperComparisonSection });
      for (const section of result.sections) process.stdout.write(section.markdown);
      if (result.crossRunMarkdown) process.stdout.write(`\n${result.crossRunMarkdown}`);
      for (const note of result.notes) process.stderr.write(`note: ${note}\n`);
      process.stderr.write(`rsn report: wrote ${result.files.length} files (${result.figures.length} figures) to ${result.out}; open index.html\n`);
    });
}
