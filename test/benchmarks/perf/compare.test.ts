/**
 * bench:compare (benchmarks/perf/micro/compare.ts) on two copies of this checkout's path, with a tiny item on the
 * reference backend: it alternates the checkouts, reports each round, and the ratio of the medians; a missing
 * item or a missing directory argument is an error with the usage.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const compare = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'benchmarks/perf/micro/compare.ts', ...args], { cwd: root, encoding: 'utf8' });

describe('bench:compare', () => {
  it('times one item in two checkouts by turns and prints the ratio of their medians', () => {
    const run = compare('--item', 'matmul [60,100]x[100,10]', '--rounds', '2', '--runs', '3', '--backend', 'reference', root, '.');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/round 1\/2: A [\d.]+ ms, B [\d.]+ ms/);
    expect(run.stderr).toMatch(/round 2\/2: A [\d.]+ ms, B [\d.]+ ms/);
    const ratio = /B \/ A = ([\d.]+)/.exec(run.stdout);
    expect(ratio, run.stdout).not.toBeNull();
    expect(Number(ratio![1])).toBeGreaterThan(0);
  }, 60_000);

  it('refuses an unknown item and a missing checkout with a message', () => {
    const unknown = compare('--item', 'no such item', '--rounds', '1', '--runs', '1', '--backend', 'reference', '.', '.');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toContain("no item starting with 'no such item'");
    const usage = compare('--item', 'natural', '.');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('usage: npm run bench:compare');
  }, 60_000);
});
