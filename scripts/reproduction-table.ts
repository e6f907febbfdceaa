/**
 * The table docs/reproduction.md publishes for an archive (results.csv and summaries.csv in a folder of
 * reproduction/): npx tsx scripts/reproduction-table.ts reproduction/<name>
 */
import { publishedTable } from '../benchmarks/paper/compare.js';
import { loadArchive } from '../core/report/archive.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: npx tsx scripts/reproduction-table.ts reproduction/<name>\n');
  process.exit(2);
}
process.stdout.write(`${publishedTable(loadArchive(dir))}\n`);
