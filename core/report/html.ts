/**
 * One self-contained HTML page: inline SVG figures (ids made unique per figure, namespace declarations dropped
 * since the HTML parser supplies them), the tables and comparisons converted from their Markdown, and the notes.
 * No scripts, no style sheets or images from elsewhere. Order: the figures first, then the tables and
 * comparisons, then the notes, collapsed (<details>). Figures and tables never overflow the page: SVGs scale down
 * to the column's width, wide tables scroll inside their own box.
 */

export interface HtmlFigure {
  readonly name: string;
  readonly title: string;
  readonly caption: string;
  readonly svg: string;
  readonly notes: readonly string[];
}

export interface HtmlPage {
  readonly title: string;
  readonly intro: string;
  readonly figures: readonly HtmlFigure[];
  /** Markdown sections (tables, comparisons), in order. */
  readonly sections: readonly string[];
  readonly notes: readonly string[];
}

export const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const inline = (s: string): string =>
  escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>').replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');

/** The Markdown this module's callers write: headings, pipe tables, '-' lists, paragraphs, `code`, **bold**. */
export function markdownToHtml(markdown: string): string {
  const out: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min(6, heading[1]!.length + 1);
      out.push(`<h${level}>${inline(heading[2]!)}</h${level}>`);
    } else if (line.startsWith('|')) {
      const rows: string[][] = [];
      for (; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(lines[i]!.replace(/^\||\|$/g, '').split('|').map((c) => c.trim()));
      i--;
      const [head, , ...body] = rows;
      out.push('<div class="table-wrap"><table>', `<thead><tr>${head!.map((c) => `<th>${inline(c)}</th>`).join('')}</tr></thead>`, '<tbody>',
        ...body.map((r) => `<tr>${r.map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`), '</tbody></table></div>');
    } else if (line.startsWith('- ')) {
      const items: string[] = [];
      for (; i < lines.length && lines[i]!.startsWith('- '); i++) items.push(`<li>${inline(lines[i]!.slice(2))}</li>`);
      i--;
      out.push(`<ul>${items.join('')}</ul>`);
    } else if (line.trim() !== '') {
      out.push(`<p>${inline(line)}</p>`);
    }
  }
  return out.join('\n');
}

/** Prefix every id (and reference to it) so that several inline SVGs do not share clip paths or gradients. */
export function inlineSvg(svg: string, prefix: string): string {
  return svg
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/\s+xmlns(:\w+)?="[^"]*"/g, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/(xlink:)?href="#([^"]+)"/g, `href="#${prefix}-$2"`);
}

const STYLE = `
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 2em auto; padding: 0 1em; max-width: 1200px; color: #222; }
svg, img { max-width: 100%; height: auto; }
.table-wrap { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; }
th { background: #f2f2f2; }
figure { margin: 1em 0 2em; max-width: 100%; }
details { margin: 1em 0; }
summary { cursor: pointer; font-weight: bold; }
figcaption { font-size: 0.85em; color: #444; }
.note { color: #8a5a00; font-size: 0.85em; }
nav li { font-size: 0.9em; }
code { font-size: 0.9em; }
`;

export function renderHtml(page: HtmlPage): string {
  const figures = page.figures.map((f, i) => [
    `<figure id="figure-${escapeHtml(f.name)}">`,
    inlineSvg(f.svg, `f${i}`),
    `<figcaption><strong>${escapeHtml(f.title)}.</strong> ${escapeHtml(f.caption)} (files: figures/${escapeHtml(f.name)}.svg, .png)</figcaption>`,
    ...(f.notes.length > 0 ? [`<details class="note"><summary>${f.notes.length} note(s)</summary>${f.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}</details>`] : []),
    '</figure>',
  ].join('\n'));
  const toc = page.figures.map((f) => `<li><a href="#figure-${escapeHtml(f.name)}">${escapeHtml(f.title)}</a></li>`);
  return [
    '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
    `<title>${escapeHtml(page.title)}</title>`, `<style>${STYLE}</style>`, '</head>', '<body>',
    `<h1>${escapeHtml(page.title)}</h1>`, markdownToHtml(page.intro),
    '<h2>Figures</h2>',
    toc.length > 0 ? `<details><summary>${toc.length} figure(s)</summary><nav><ul>${toc.join('')}</ul></nav></details>` : '<p>No figure: the results hold no data to draw.</p>',
    ...figures,
    ...page.sections.map(markdownToHtml),
    page.notes.length > 0
      ? `<details id="notes"><summary>Notes (${page.notes.length}): what was skipped or left out</summary>\n<ul>${page.notes.map((n) => `<li class="note">${escapeHtml(n)}</li>`).join('')}</ul></details>`
      : '',
    '</body>', '</html>', '',
  ].join('\n');
}
