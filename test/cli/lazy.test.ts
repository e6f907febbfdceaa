/**
 * `rsn --help` and `rsn <command> --help` load only the command definitions: no report (vega, resvg), no
 * backend (tfjs, the native addon), no training code. Checked by recording every module the process resolves,
 * once through the TypeScript sources (tsx) and once through the compiled dist/ when it is built and current.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const HEAVY = [/\/node_modules\/vega/, /@resvg/, /@tensorflow/, /\/core\/report\//, /\/backends\//, /\/core\/experiment\/(run|runner|round)\./, /\/core\/experiment\/(orchestrate|plan)\./, /\/core\/experiment\/jobs\//, /\/benchmarks\/paper\/compare\./];

async function loaded(args: string[], env: Record<string, string> = {}): Promise<{ urls: string[]; stdout: string }> {
  const trace = join(mkdtempSync(join(tmpdir(), 'rsn-trace-')), 'urls.txt');
  const { stdout } = await promisify(execFile)('node', ['--import', './test/cli/support/trace-imports.mjs', 'bin/rsn.js', ...args], {
    env: { ...process.env, ...env, RSN_TRACE_FILE: trace },
  });
  return { urls: existsSync(trace) ? readFileSync(trace, 'utf8').trim().split('\n') : [], stdout };
}

const heavy = (urls: string[]) => urls.filter((u) => HEAVY.some((p) => p.test(u)));

describe('help loads no heavy module', () => {
  for (const args of [['--help'], ['train', '--help'], ['bench', '--help'], ['report', '--help']]) {
    it(`rsn ${args.join(' ')} (from the sources)`, async () => {
      const { urls, stdout } = await loaded(args, { RSN_FROM_SOURCE: '1' });
      expect(stdout).toContain('Usage: rsn');
      expect(urls.some((u) => u.endsWith('/cli/main.ts'))).toBe(true);
      expect(heavy(urls)).toEqual([]);
    });
  }

  it.skipIf(!existsSync('dist/.built'))('rsn train --help (compiled dist/, when built)', async () => {
    const { urls } = await loaded(['train', '--help']);
    if (!urls.some((u) => u.includes('/dist/cli/main.js'))) return; // dist/ is older than the sources: bin/rsn.js used tsx
    expect(heavy(urls)).toEqual([]);
  });
});

describe('defaults spelled in the command definitions', () => {
  it('agree with the modules the definitions avoid loading', async () => {
    const { DEFAULT_BACKEND_NAME } = await import('../../cli/commands/train.js');
    const { DEFAULT_REPORT_ITERATION } = await import('../../cli/commands/report.js');
    expect(DEFAULT_BACKEND_NAME).toBe((await import('../../backends/registry.js')).DEFAULT_BACKEND);
    expect(DEFAULT_REPORT_ITERATION).toBe((await import('../../core/report/report.js')).DEFAULT_ITERATION);
  });
});
