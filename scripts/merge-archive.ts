/**
 * An archive updated from runs (or other archives): npx tsx scripts/merge-archive.ts OUT IN [IN ...]
 * Each IN is a results directory or an archive; a later one's trial replaces an earlier one's trial of the same
 * configuration whole (all its rounds descend from its round 0). OUT receives results.csv and summaries.csv (OUT
 * may be one of the IN).
 */
import { mkdirSync } from 'node:fs';
import { mergeResultsSets, writeArchive } from '../core/report/archive-merge.js';
import { loadResults } from '../core/report/load.js';

const [out, ...inputs] = process.argv.slice(2);
if (!out || inputs.length === 0) {
  process.stderr.write('usage: npx tsx scripts/merge-archive.ts OUT IN [IN ...]  (IN: results directories or archives, a later one\'s trials replace earlier ones whole)\n');
  process.exit(2);
}
try {
  const sets = inputs.map((dir) => loadResults(dir));
  const merged = mergeResultsSets(sets);
  mkdirSync(out, { recursive: true });
  writeArchive(merged, out);
  const rounds = merged.configs.reduce((n, c) => n + c.trials.reduce((m, t) => m + t.rounds.length, 0), 0);
  process.stdout.write(`${out}: ${merged.configs.length} configurations, ${rounds} rounds\n`);
} catch (error) {
  process.stderr.write(`merge-archive: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
