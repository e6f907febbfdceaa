/**
 * The report page as a browser lays it out (Debian's chromium, headless): figures come before the tables, the
 * notes are collapsed, nothing is wider than the window, and every figure reads as a paper would print it: legend
 * symbols beside their labels, legend entries apart and off the panels, the canvas filled by its panels (no wide
 * empty margins), bands only where there are two trials or more, and a caption that says what it shows. A copy
 * of index.html gets a probe script that measures the layout and writes it into the DOM, which `chromium
 * --dump-dom` prints. Two reports: the synthetic standard tree (3 trials, 19 and 9 rounds) and a one-trial run of
 * two pruning rounds (none at a paper sparsity). Skipped, with the reason, where no chromium is installed
 * (.ci/run installs it).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paperComparisonSection } from '../../benchmarks/paper/compare.js';
import { writeReport } from '../../core/report/report.js';
import { tempRoot, writeConfig, writeStandardTree } from './synthetic.js';

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
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const union = (rects) => ({ left: Math.min(...rects.map((r) => r.left)), right: Math.max(...rects.map((r) => r.right)), top: Math.min(...rects.map((r) => r.top)), bottom: Math.max(...rects.map((r) => r.bottom)) });
  const figures = [...document.querySelectorAll('figure')];
  const tables = [...document.querySelectorAll('table')];
  const figureLayout = (figure) => {
    const svg = figure.querySelector('svg');
    const canvas = box(svg);
    const entries = [...svg.querySelectorAll('.role-legend-symbol')].map((symbol) => ({ symbol: box(symbol), label: box(symbol.parentElement.querySelector('.role-legend-label')) }));
    const entryBoxes = entries.map((e) => union([e.symbol, e.label]));
    let entriesOverlapping = 0;
    entryBoxes.forEach((a, i) => entryBoxes.slice(i + 1).forEach((b) => { if (overlap(a, b)) entriesOverlapping++; }));
    const panels = [...svg.querySelectorAll('g.role-scope')].filter((g) => /concat_\\d+_group/.test(g.getAttribute('class')))
      .map((g) => box(g.querySelector(':scope > g > path.background')));
    const legends = [...svg.querySelectorAll('.role-legend')].map(box);
    const content = union([...svg.querySelectorAll('.role-axis, .role-title, .role-legend, .role-mark')].map(box).filter((r) => r.width > 0 || r.height > 0));
    const scale = svg.viewBox.baseVal && svg.viewBox.baseVal.width ? svg.viewBox.baseVal.width / canvas.width : 1;
    return {
      name: figure.id,
      caption: figure.querySelector('figcaption').textContent,
      entries: entries.length,
      symbolOverLabel: entries.filter((e) => overlap(e.symbol, e.label) || e.symbol.left >= e.label.left).length,
      entriesOverlapping,
      legendOverPanel: legends.filter((l) => panels.some((p) => overlap(l, p))).length,
      emptyMargin: scale * Math.max(content.left - canvas.left, canvas.right - content.right, content.top - canvas.top, canvas.bottom - content.bottom),
      panelsWidthShare: panels.length ? (Math.max(...panels.map((p) => p.right)) - Math.min(...panels.map((p) => p.left))) / canvas.width : 0,
      panelsHeightShare: panels.length ? (Math.max(...panels.map((p) => p.bottom)) - Math.min(...panels.map((p) => p.top))) / canvas.height : 0,
      bands: svg.querySelectorAll('.mark-area.role-mark path').length,
    };
  };
  const result = {
    windowWidth: innerWidth,
    pageWidth: document.documentElement.scrollWidth,
    widest: Math.max(...[...document.querySelectorAll('svg, table, figure, .table-wrap')].map((el) => box(el).right)),
    svgs: document.querySelectorAll('figure svg').length,
    svgsWiderThanWindow: [...document.querySelectorAll('figure svg')].filter((el) => box(el).right > innerWidth).length,
    firstFigureTop: figures.length ? box(figures[0]).top : null,
    firstTableTop: tables.length ? box(tables[0]).top : null,
    notesOpen: document.querySelector('#notes') ? document.querySelector('#notes').open : null,
    notesHeight: document.querySelector('#notes') ? box(document.querySelector('#notes')).height : 0,
    figures: figures.map(figureLayout),
  };
  const out = document.createElement('pre');
  out.id = 'layout';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>`;

interface FigureLayout {
  name: string; caption: string; entries: number; symbolOverLabel: number; entriesOverlapping: number; legendOverPanel: number;
  emptyMargin: number; panelsWidthShare: number; panelsHeightShare: number; bands: number;
}
interface Layout { [key: string]: number | boolean | FigureLayout[]; figures: FigureLayout[] }

/** The report of `results` laid out by chromium in a 1024x768 window. */
async function layOut(results: string, out: string): Promise<Layout> {
  await writeReport(results, { out, png: false, sections: paperComparisonSection });
  const probed = join(out, 'probe.html');
  writeFileSync(probed, readFileSync(join(out, 'index.html'), 'utf8').replace('</body>', `${PROBE}</body>`));
  const dom = execFileSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1024,768', '--dump-dom', `file://${probed}`], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000, maxBuffer: 64 << 20,
  });
  return JSON.parse(/<pre id="layout">([^<]*)<\/pre>/.exec(dom)![1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&')) as Layout;
}

/** What every figure must satisfy, in either report. */
function expectPrintable(figures: readonly FigureLayout[]): void {
  for (const f of figures) {
    expect(f.symbolOverLabel, `${f.name}: a legend symbol on its label`).toBe(0);
    expect(f.entriesOverlapping, `${f.name}: legend entries overlap`).toBe(0);
    expect(f.legendOverPanel, `${f.name}: a legend over a panel`).toBe(0);
    expect(f.emptyMargin, `${f.name}: an empty margin around the drawing`).toBeLessThanOrEqual(12);
    expect(f.panelsWidthShare, `${f.name}: panels fill too little of the width`).toBeGreaterThan(0.5);
    expect(f.panelsHeightShare, `${f.name}: panels fill too little of the height`).toBeGreaterThan(0.5);
  }
}

describe.skipIf(!chromium)(`the HTML report in ${chromium ?? 'a browser'}${chromium ? '' : ' (skipped: no chromium here; apt-get install chromium)'}`, () => {
  let layout: Layout;
  let small: Layout;

  beforeAll(async () => {
    const results = join(temp, 'results');
    writeStandardTree(results);
    layout = await layOut(results, join(temp, 'report'));
    const two = join(temp, 'two-rounds');
    for (const experiment of ['reinit_orig', 'reinit_rand', 'reinit_none'] as const) {
      writeConfig(two, { experiment }, { trials: 1, rounds: 3, trainIters: 1000, evalEvery: 500 });
    }
    small = await layOut(two, join(temp, 'two-rounds-report'));
  }, 180_000);

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

  it('lays out every figure of both reports as a paper would print it: legends beside their labels, off the panels, no empty canvas', () => {
    expect(layout.figures.length + small.figures.length).toBe(20 + 5);
    expect(layout.figures.filter((f) => f.entries > 0).length).toBeGreaterThan(15);
    expectPrintable(layout.figures);
    expectPrintable(small.figures);
  });

  it('draws bands only where there are two trials or more, and the captions say so', () => {
    const curves = (l: Layout) => l.figures.filter((f) => /-test-(acc|adv-acc|loss)$/.test(f.name));
    for (const f of curves(layout)) {
      expect(f.bands, f.name).toBeGreaterThan(0);
      expect(f.caption).toContain('bands span min..max over trials');
    }
    for (const f of curves(small)) {
      expect(f.bands, f.name).toBe(0);
      expect(f.caption).toContain('no band (a band needs two trials)');
    }
    // every round the one-trial run made is drawn and named: 100%, 80% and 64.1% remaining
    expect(curves(small)[0]!.caption).toMatch(/original: 100\.0%, 80\.0%, 64\.1%/);
    expect(small.figures.find((f) => f.name.endsWith('-init-weights'))!.entries).toBe(3);
  });
});
