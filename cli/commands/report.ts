import { Command, InvalidArgumentError } from 'commander';
import { PAPER_ROW_STEP } from '../../core/experiment/schedule.js';

/** The training step of the tables by default (core/report/report.ts, DEFAULT_ITERATION; a test checks they agree). */
export const DEFAULT_REPORT_ITERATION = PAPER_ROW_STEP;

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of training steps');
  return n;
};

interface ReportFlags {
  readonly out?: string;
  readonly iteration: number;
  readonly compare?: string;
  readonly png: boolean;
  readonly print?: boolean;
}

/** `rsn report`: its flags; the report code (vega, resvg) is loaded when it runs. */
export function reportCommand(): Command {
  return new Command('report')
    .description("figures, tables (Markdown, LaTeX, CSV), results.csv, the comparison with the paper's Tables 1-2 and one HTML page from a results directory; prints what it read and wrote")
    .argument('<results_dir>', 'results directory (the --base_dir of rsn train / rsn bench, or any folder below it)')
    .option('--out <dir>', 'output directory (default: <results_dir>/report)')
    .option('--iteration <n>', "training step of the tables and comparisons: the evaluation at or below it (default: the paper's evaluation, labelled 30,000 by the original, after step 25,021)", positiveInt, DEFAULT_REPORT_ITERATION)
    .option('--compare <dir>', 'a second results directory of the same preset (e.g. another backend): accuracy agreement and speed')
    .option('--no-png', 'write SVG figures only')
    .option('--print', 'also print the tables, the comparisons (Markdown) and the notes')
    .action(async (resultsDir: string, options: ReportFlags) => (await import('../actions/report.js')).report(resultsDir, options));
}
