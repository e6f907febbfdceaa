/**
 * The tables docs/reproduction.md publishes for an archive (results.csv and summaries.csv in a folder of
 * reproduction/): npx tsx scripts/reproduction-table.ts reproduction/<name> [--reset]
 * Without --reset, the comparison with the paper; with it, the reset comparison (theta_0 beside round 0's trained
 * weights) of the configurations run under both.
 */
import { publishedTable } from '../benchmarks/paper/compare.js';
import { loadArchive } from '../core/report/archive.js';
import { DEFAULT_ITERATION } from '../core/report/report.js';
import { resetComparisonTables } from '../core/report/reset-comparison.js';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--'));
if (!dir || args.some((a) => a.startsWith('--') && a !== '--reset')) {
  process.stderr.write('usage: npx tsx scripts/reproduction-table.ts reproduction/<name> [--reset]\n');
  process.exit(2);
}
const set = loadArchive(dir);
process.stdout.write(`${args.includes('--reset') ? resetComparisonTables(set, DEFAULT_ITERATION) : publishedTable(set)}\n`);
