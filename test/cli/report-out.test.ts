/** rsn report where it cannot write its output: the hint is about --out (the results are only read), not --base_dir. */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { writeConfig, tempRoot } from '../report/synthetic.js';
import { hasStackTrace, rsn } from '../support/rsn-cli.js';

describe('rsn report that cannot write its output', () => {
  it('names the file and suggests --out', async () => {
    const root = tempRoot('rsn-report-out-');
    writeConfig(root, { dataset: 'digits', experiment: 'reinit_orig' }, { trials: 1, rounds: 2, trainIters: 1000, evalEvery: 500 });
    writeFileSync(join(root, 'report'), 'a file where the default output folder would go');
    const result = await rsn(['report', root, '--no-png']);
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`cannot write ${join(root, 'report')}/\\S+`));
    expect(result.stderr).toContain('with --out DIR');
    expect(result.stderr).not.toContain('--base_dir');
    expect(hasStackTrace(result.stderr)).toBe(false);
  }, 60_000);
});
