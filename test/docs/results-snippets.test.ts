/**
 * The Python snippets of docs/results.md ("The report's CSV files") run against a report: pandas reads
 * results.csv as the document says, numpy loads a round's weights as W * M, from the folder that the rsn train
 * command shown above the numpy snippet writes. Skipped, with the reason, where no python3 has pandas and numpy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainCommand } from '../../cli/commands/train.js';
import { configFromOptions } from '../../cli/options.js';
import { writeReport } from '../../core/report/report.js';
import { configDir, roundDir, trialDir } from '../../core/results/paths.js';
import { tempRoot, writeConfig } from '../report/synthetic.js';

const doc = readFileSync(new URL('../../docs/results.md', import.meta.url), 'utf8');
const section = doc.slice(doc.indexOf("## The report's CSV files"), doc.indexOf('## A JSONL log'));
const snippets = [...section.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
const command = /^ {4}(rsn train .*)$/m.exec(section)?.[1];

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

describe('docs/results.md', () => {
  it('shows the rsn train command whose round 1 the numpy snippet reads', () => {
    expect(command).toBeDefined();
    const train = trainCommand();
    train.parseOptions(command!.split(/\s+/).slice(2));
    const options = train.opts();
    const config = configFromOptions(options);
    const id = options.experiment_id as string;
    const expected = roundDir(trialDir(configDir(options.base_dir as string, id, config), 0), 1);
    expect(snippets[1]).toContain(`round_dir = "${expected}"`);
  });
});

const python = pythonWithPandas();
const temp = tempRoot('rsn-docs-snippets-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe.skipIf(!python)(`docs/results.md's Python snippets${python ? '' : ' (skipped: no python3 with pandas and numpy; apt-get install python3-pandas)'}`, () => {
  beforeAll(async () => {
    // the experiment folder of the command shown ('quick'); the default settings otherwise (train_iters 50000)
    writeConfig(join(temp, 'results'), { experiment: 'reinit_orig' }, { trials: 2, rounds: 2, trainIters: 50000, evalEvery: 500, experimentId: 'quick' });
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
