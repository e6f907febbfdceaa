/**
 * The Python snippets of README's "Results as CSV" run against a report: pandas reads results.csv as the README
 * says, numpy loads a round's weights as W * M. Skipped, with the reason, where no python3 has pandas and numpy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../core/report/report.js';
import { tempRoot, writeConfig } from '../report/synthetic.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('### Results as CSV'), readme.indexOf('## rsn as a library'));
const snippets = [...section.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);

function pythonWithPandas(): string | undefined {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import pandas, numpy'], { stdio: 'ignore' });
      return python;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const python = pythonWithPandas();
const temp = tempRoot('rsn-readme-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe.skipIf(!python)(`README's Python snippets${python ? '' : ' (skipped: no python3 with pandas and numpy; apt-get install python3-pandas)'}`, () => {
  beforeAll(async () => {
    // 'default' settings (train_iters 50000, eval_every 500), so that the README's path names the round
    writeConfig(join(temp, 'results'), { experiment: 'reinit_orig' }, { trials: 2, rounds: 2, trainIters: 50000, evalEvery: 500 });
    await writeReport(join(temp, 'results'), { out: join(temp, 'results', 'report'), png: false });
  });

  it('are two: results.csv with pandas, the weights with numpy', () => {
    expect(snippets).toHaveLength(2);
  });

  it('pandas reads results.csv and selects by split, is_final and is_early_stopping', () => {
    const out = execFileSync(python!, ['-c', snippets[0]!], { cwd: temp, encoding: 'utf8' });
    expect(out).toMatch(/reinit_orig\s+False\s+0\s+100\.0+\s+0\.9/);
    expect(out).toContain('iteration');
  });

  it('numpy loads a round as W * M', () => {
    const out = execFileSync(python!, ['-c', snippets[1]!], { cwd: temp, encoding: 'utf8' });
    // synthetic kernels are [6,4], [4,3], [3,2]; round 1 keeps 80% of each layer (rounded up)
    expect(out.trim()).toBe('[(6, 4), (4, 3), (3, 2)] [0.8333333333333334, 0.8333333333333334, 0.8333333333333334]');
  });
});
