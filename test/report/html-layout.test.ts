/**
 * The report page as a browser lays it out (Debian's chromium, headless): figures come before the tables, the
 * notes are collapsed, and nothing is wider than the window. A copy of index.html gets a probe script that
 * measures the layout and writes it into the DOM, which `chromium --dump-dom` prints. Skipped, with the reason,
 * where no chromium is installed (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paperComparisonSection } from '../../benchmarks/paper/compare.js';
import { writeReport } from '../../core/report/report.js';
import { tempRoot, writeStandardTree } from './synthetic.js';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

const chromium = findChromium();
const temp = tempRoot('rsn-html-layout-');
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const PROBE = `<script>
addEventListener('load', () => {
  const box = (el) => el.getBoundingClientRect();
  const figures = [...document.querySelectorAll('figure')];
  const tables = [...document.querySelectorAll('table')];
  const result = {
    windowWidth: innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    widest: Math.max(...[...document.querySelectorAll('svg, table, figure, .table-wrap')].map((el) => box(el).right)),
    svgs: document.querySelectorAll('figure svg').length,
    svgsWiderThanWindow: [...document.querySelectorAll('figure svg')].filter((el) => box(el).right > innerWidth).length,
    firstFigureTop: box(figures[0]).top,
    firstTableTop: box(tables[0]).top,
    notesOpen: document.querySelector('#notes').open,
    notesHeight: box(document.querySelector('#notes')).height,
  };
  const out = document.createElement('pre');
  out.id = 'layout';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>`;

describe.skipIf(!chromium)(`the HTML report in ${chromium ?? 'a browser'}${chromium ? '' : ' (skipped: no chromium here; apt-get install chromium)'}`, () => {
  let layout: Record<string, number | boolean>;

  beforeAll(async () => {
    const results = join(temp, 'results');
    writeStandardTree(results);
    const out = join(temp, 'report');
    await writeReport(results, { out, png: false, sections: paperComparisonSection });
    const probed = join(out, 'probe.html');
    writeFileSync(probed, readFileSync(join(out, 'index.html'), 'utf8').replace('</body>', `${PROBE}</body>`));
    const dom = execFileSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1024,768', '--dump-dom', `file://${probed}`], {
      encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000, maxBuffer: 64 << 20,
    });
    layout = JSON.parse(/<pre id="layout">([^<]*)<\/pre>/.exec(dom)![1]!.replace(/&quot;/g, '"')) as Record<string, number | boolean>;
  });

  it('puts the figures before the tables', () => {
    expect(layout.svgs).toBe(20);
    expect(layout.firstFigureTop).toBeLessThan(layout.firstTableTop as number);
  });

  it('overflows nothing: the page and every figure fit a 1024-pixel window', () => {
    expect(layout.windowWidth).toBe(1024);
    expect(layout.pageWidth).toBeLessThanOrEqual(1024);
    expect(layout.svgsWiderThanWindow).toBe(0);
    expect(layout.widest).toBeLessThanOrEqual(1024);
  });

  it('collapses the notes', () => {
    expect(layout.notesOpen).toBe(false);
    expect(layout.notesHeight).toBeLessThan(60);
  });
});
