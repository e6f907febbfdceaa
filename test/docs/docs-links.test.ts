/**
 * README is the user's guide, short enough to read in a few minutes; the rest lives in docs/, one file per kind
 * of reader, every file reachable from README. Every relative link of README and docs/ resolves (the file, and
 * the heading when the link names one), and neither names a path of one machine.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const documents = ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
const text = (file: string) => readFileSync(join(root, file), 'utf8');
/** Markdown outside fenced code blocks (a link or path inside an example is not one to follow). */
const prose = (file: string) => text(file).replace(/```[\s\S]*?```/g, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export const anchor = (heading: string): string =>
  heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');

const anchorsOf = (file: string): Set<string> =>
  new Set([...text(file).replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));

describe('README and docs/', () => {
  it('README stays a short user guide (at most 250 lines)', () => {
    expect(text('README.md').split('\n').length).toBeLessThanOrEqual(250);
  });

  it('README links every document of docs/', () => {
    const readme = text('README.md');
    for (const doc of documents.filter((d) => d !== 'README.md')) expect(readme, doc).toContain(`](${doc})`);
  });

  it('every relative link resolves, to the file and the heading it names', () => {
    const broken: string[] = [];
    for (const file of documents) {
      for (const [, target] of prose(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path, hash] = target!.split('#') as [string, string | undefined];
        const resolved = path === '' ? file : relative(root, join(root, dirname(file), path));
        if (!existsSync(join(root, resolved))) broken.push(`${file}: ${target} (no ${resolved})`);
        else if (hash !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(hash)) broken.push(`${file}: ${target} (no heading #${hash})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names no path of one machine', () => {
    for (const file of documents) expect(text(file), file).not.toMatch(/\/work\/|\/tmp\/|\/home\/|\/dev\/shm|\.\.\/shared/);
  });

  it('anchors as GitHub makes them', () => {
    expect(anchor('Many networks as one computation: `--batch_trials`')).toBe('many-networks-as-one-computation---batch_trials');
    expect(anchor("The report's CSV files")).toBe('the-reports-csv-files');
  });
});
