import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/main.js';
import { overlong } from '../../cli/wrap.js';
import { writeConfig, writeStandardTree, tempRoot } from './synthetic.js';

const temp = tempRoot('rsn-report-e2e-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** Run the CLI in-process, capturing what it prints. */
async function rsn(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => { stdout += String(chunk); return true; }) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array) => { stderr += String(chunk); return true; }) as typeof process.stderr.write);
  try {
    const code = await main(['node', 'rsn', ...args]);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

const FAMILIES = ['digits-fgsm-natural', 'digits-fgsm-advtrain', 'digits-pgd-natural', 'digits-pgd-advtrain'];
const KINDS = ['test-acc', 'test-adv-acc', 'test-loss', 'early-stopping', 'init-weights'];
const lineMarks = (svg: string): number => (svg.match(/class="mark-line role-mark/g) ?? []).length;

describe('rsn report on the synthetic tree', () => {
  const results = join(temp, 'results');
  const out = join(temp, 'out');
  let run: { code: number; stdout: string; stderr: string };
  let printed: { code: number; stdout: string; stderr: string };
  const read = (name: string) => readFileSync(join(out, name), 'utf8');

  beforeAll(async () => {
    writeStandardTree(results);
    run = await rsn('report', results, '--out', out, '--iteration', '30000');
    printed = await rsn('report', results, '--out', join(temp, 'printed'), '--iteration', '30000', '--no-png', '--print');
  });

  it('exits 0 and says in 80 columns what it read, what it wrote where, and how many cells agree with the paper', () => {
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const rounds = 4 * 3 * 19 + 2 * 3 * 9;   // complete rounds of the standard tree (synthetic.ts; an incomplete round 19 is left out)
    expect(run.stdout).toMatch(new RegExp(`^rsn report: read 6 configurations, 18 trials, ${rounds} complete rounds from\\s+${results}$`, 'm'));
    expect(run.stdout).toMatch(new RegExp(`^wrote 48 files to\\s+${out}$`, 'm'));
    expect(run.stdout).toContain('figures/: 20 figures (SVG and PNG)');
    // the agreement count is the comparison's own: counted here from paper-comparison.csv
    const verdicts = read('paper-comparison.csv').trim().split('\n').slice(1).map((line) => line.split(',')[13]);
    const count = (v: string) => verdicts.filter((x) => x === v).length;
    expect(run.stdout.replace(/\n\s+/g, ' ')).toContain(`Tables 1-2: ${count('agrees')} agree, ${count('differs')} differ (${count('agrees') + count('differs')} of ${verdicts.length} cells have results here)`);
    expect(run.stdout).toMatch(/^\d+ notes on what could not be drawn or compared: in index\.html, or --print$/m);
    expect(run.stdout.split('\n').length).toBeLessThan(15);
    expect(overlong(run.stdout)).toEqual([]);
  });

  it('--print also prints the tables, the paper comparison and the notes', () => {
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('## Tables: test accuracy in every round');
    expect(printed.stdout).toContain('## Comparison with the paper (Tables 1 and 2)');
    // The comparison shows population sds (as the paper's analysis computed them): sd of 90, 92, 94 (n) = 1.63.
    expect(printed.stdout).toContain('| digits | 100.0 | FGSM nat | natural | 95.00±1.63, n=3 | 98.33±0.33 |');
    expect(printed.stderr).toMatch(/note: .*trial_02: round\(s\) 19 incomplete/);
    expect(printed.stderr).toContain("panel 'original vs random reinit' omitted: no reinit_rand results");
  });

  it('writes every figure (SVG and PNG), the tables, the comparison and the page', () => {
    const expected = FAMILIES.flatMap((f) => KINDS.flatMap((k) => [`${f}-${k}.svg`, `${f}-${k}.png`])).sort();
    expect(readdirSync(join(out, 'figures')).sort()).toEqual(expected);
    for (const file of ['index.html', 'tables.md', 'tables.tex', 'paper-comparison.md', 'paper-comparison.csv', 'results.csv', 'summaries.csv', 'rounds.csv']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(existsSync(join(out, 'backend-comparison.md'))).toBe(false);
  });

  it('SVGs are SVG documents with the expected series', () => {
    const svg = (name: string) => read(`figures/${name}.svg`);
    for (const f of FAMILIES) for (const k of KINDS) expect(svg(`${f}-${k}`)).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>$/);
    // original: every round (0-18); vs random: original and random at random's rounds nearest 51.3, 16.9 and 3.6
    // (random has rounds 0-8, down to 16.9%: 51.3 and 16.9); the same vs continued training
    expect(lineMarks(svg('digits-fgsm-natural-test-acc'))).toBe(19 + 4 + 4);
    expect(svg('digits-fgsm-natural-test-acc')).toContain('original vs continued training');
    // no random reinit or continued training results for PGD: the 'original' panel only
    expect(lineMarks(svg('digits-pgd-natural-test-loss'))).toBe(19);
    expect(svg('digits-pgd-natural-test-loss')).not.toContain('original vs random reinit');
    // early stopping: 3 panels x 3 strategies; weights: 3 layers x 6 sparsities
    expect(lineMarks(svg('digits-fgsm-natural-early-stopping'))).toBe(9);
    expect(lineMarks(svg('digits-fgsm-advtrain-early-stopping'))).toBe(3);
    expect(lineMarks(svg('digits-pgd-advtrain-init-weights'))).toBe(18);
    for (const title of ['test accuracy (%) vs iteration', 'training iteration', '% remaining', 'strategy']) {
      expect(svg('digits-fgsm-natural-test-acc')).toContain(title);
    }
  });

  it('draws coinciding lines distinguishably and labels every tick of the % axis (the layout: html-layout.test.ts)', () => {
    const svg = (name: string) => read(`figures/${name}.svg`);
    // the % remaining axis is labelled at 100 (the data run from 100% to 1.8%)
    expect(svg('digits-fgsm-natural-early-stopping')).toMatch(/>100<\/text>/);
    // strategies differ in dash and width, so that a line drawn over another leaves it visible
    const es = svg('digits-fgsm-natural-early-stopping');
    expect(new Set(es.match(/stroke-dasharray="[^"]+"/g)).size).toBe(3);
    const curves = svg('digits-fgsm-natural-test-acc');
    expect(new Set(curves.match(/stroke-dasharray="[^"]+"/g)).size).toBeGreaterThanOrEqual(3);
    expect(curves).toContain('stroke-width="3.5"');
  });

  it('PNGs are PNG images at twice the SVG size', () => {
    const png = readFileSync(join(out, 'figures', 'digits-fgsm-natural-test-acc.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const width = /^<svg [^>]*width="(\d+)"/.exec(read('figures/digits-fgsm-natural-test-acc.svg'))![1];
    expect(png.readUInt32BE(16)).toBe(2 * Number(width));
  });

  it('index.html is self-contained and holds every figure and table', () => {
    const html = read('index.html');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|src=/i);
    expect((html.match(/<svg /g) ?? []).length).toBe(20);
    for (const f of FAMILIES) for (const k of KINDS) expect(html).toContain(`id="figure-${f}-${k}"`);
    for (const heading of read('tables.md').match(/^### .*$/gm)!) {
      expect(html).toContain(`<h4>${heading.slice(4).replace(/&/g, '&amp;')}</h4>`);
    }
    expect(html).toContain('<td>93.50±2.00 / 93.50±2.00</td>');
    expect(html).toContain('<h3>Comparison with the paper (Tables 1 and 2)</h3>');
    expect(html).toContain('round(s) 19 incomplete');
    // ids are unique across the inline SVGs
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('paper-comparison.csv holds every cell of the paper\'s tables, as the Markdown does', () => {
    const lines = read('paper-comparison.csv').trim().split('\n');
    expect(lines[0]).toBe('dataset,percent_remaining,column,attack,accuracy,training,ours_mean_pct,ours_sd_pct,ours_n,paper_mean_pct,paper_sd_pct,diff_pct,tolerance_pct,verdict,departures,config,round,ours_percent_remaining,iteration');
    expect(lines).toHaveLength(1 + (read('paper-comparison.md').match(/^\| (digits|fashion) \|/gm) ?? []).length);
    const first = lines[1]!.split(',');
    expect(first.slice(0, 6)).toEqual(['digits', '100', 'fgsm_nat', 'fgsm', 'natural', 'natural']);
    // the population sd, as in the Markdown (trials at 93, 95, 97: sqrt(8 / 3) = 1.63)
    expect(first.slice(6, 11).map(Number).map((v) => Math.round(v * 100) / 100)).toEqual([95, 1.63, 3, 98.33, 0.33]);
    expect(first[13]).toBe('agrees');
    expect(read('results.csv').split('\n', 1)[0]).toMatch(/^experiment_id,config,dataset,model,experiment,attack,adv_train,/);
  });

  it('tables.md holds the paper layout at the chosen iteration', () => {
    expect(read('tables.md')).toContain('| 3 | 51.3 | 93.50±2.00 / 93.50±2.00 | 13.50±2.00 / 63.50±2.00 | 93.50±2.00 / 93.50±2.00 | 12.50±2.00 / 62.50±2.00 |');
    expect(printed.stdout).toContain(read('paper-comparison.md'));
    expect(printed.stdout).toContain(read('tables.md'));
  });
});

describe('rsn report --compare and failures', () => {
  it('--compare writes and prints the side-by-side comparison; --iteration is honoured', async () => {
    const options = { trials: 2, rounds: 2, trainIters: 1000, evalEvery: 500 };
    writeConfig(join(temp, 'a'), { experiment: 'reinit_rand' }, options);
    writeConfig(join(temp, 'b'), { experiment: 'reinit_rand' }, { ...options, backend: 'wasm', wallSeconds: () => 2 });
    const out = join(temp, 'ab');
    const run = await rsn('report', join(temp, 'a'), '--out', out, '--compare', join(temp, 'b'), '--iteration', '500', '--no-png', '--print');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('the two results directories side by side: backend-comparison.md');
    expect(run.stdout).toContain('## Two results directories compared');
    expect(run.stdout).toContain('(backend wasm)');
    expect(run.stdout).toContain('at the evaluation at or below iteration 500');
    expect(readFileSync(join(out, 'backend-comparison.md'), 'utf8')).toContain('| 0 | 100.0 | 90.05±1.41 | 90.05±1.41 | +0.00 |');
    expect(readdirSync(join(out, 'figures')).every((f) => f.endsWith('.svg'))).toBe(true);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('Two results directories compared');
  });

  it('a missing results directory exits non-zero and says what to do', async () => {
    const run = await rsn('report', join(temp, 'does-not-exist'));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/does-not-exist' does not exist/);
    expect(run.stderr).toContain('run rsn train or rsn bench first');
  });

  it('a bad --iteration is a usage error', async () => {
    const run = await rsn('report', temp, '--iteration', 'soon');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('expected a whole number of training steps');
  });
});
