/**
 * docs/reproduction.md publishes tables of the archives in reproduction/; each must be exactly what its archive
 * gives (scripts/reproduction-table.ts prints it), so that the text and the runs behind it cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publishedTable } from '../../benchmarks/paper/compare.js';
import { loadArchive } from '../../core/report/archive.js';
import { DEFAULT_ITERATION } from '../../core/report/report.js';
import { resetComparisonTables } from '../../core/report/reset-comparison.js';

const root = new URL('../../', import.meta.url);
const docs = readFileSync(new URL('docs/reproduction.md', root), 'utf8');
const BLOCK = /<!-- archive: (reproduction\/[\w.-]+) -->\n([\s\S]*?)\n<!-- end archive -->/g;
const blocks = [...docs.matchAll(BLOCK)].map((m) => ({ folder: m[1]!, text: m[2]!.trim() }));
const RESET_BLOCK = /<!-- reset comparison: (reproduction\/[\w.-]+) -->\n([\s\S]*?)\n<!-- end reset comparison -->/g;
const resetBlocks = [...docs.matchAll(RESET_BLOCK)].map((m) => ({ folder: m[1]!, text: m[2]!.trim() }));

describe("docs/reproduction.md's tables of the archived runs", () => {
  it('publishes at least one', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  for (const { folder, text } of blocks) {
    it(`${folder}: the table is what the archive gives (npx tsx scripts/reproduction-table.ts ${folder})`, () => {
      expect(text).toBe(publishedTable(loadArchive(new URL(folder, root).pathname)).trim());
    });
  }

  for (const { folder, text } of resetBlocks) {
    it(`${folder}: the reset comparison is what the archive gives (npx tsx scripts/reproduction-table.ts ${folder} --reset)`, () => {
      expect(text).toBe(resetComparisonTables(loadArchive(new URL(folder, root).pathname), DEFAULT_ITERATION).trim());
    });
  }
});
