/**
 * vega-lite specification -> SVG (vega View, headless) -> PNG (@resvg/resvg-js). No browser, no canvas package:
 * vega estimates text widths, resvg draws text with the system fonts (DejaVu Sans where present).
 */
import { Resvg } from '@resvg/resvg-js';
import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  view: { stroke: '#ccc' },
} as const;

/** Render a vega-lite specification to an SVG document (white background). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const withConfig = { ...spec, background: 'white', config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const view = new View(parse(compile(withConfig).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG document to PNG at `scale` x its size. */
export function renderPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return new Uint8Array(resvg.render().asPng());
}
