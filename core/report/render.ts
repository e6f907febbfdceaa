/**
 * vega-lite specification -> SVG (vega View, headless) -> PNG (@resvg/resvg-js). No browser, no canvas package:
 * vega lays text out at DejaVu Sans' widths (text-width.ts), resvg draws it with the system fonts (DejaVu Sans
 * where present).
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { logger as vegaLogger, parse, View, Warn } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { textWidth } from './text-width.js';

const CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  view: { stroke: '#ccc' },
} as const;

/** vega's text measurer (vega-scenegraph's, exported by vega but not in its typings). */
interface TextItem { fontSize?: number; fontWeight?: string | number }
const { textMetrics } = vega as unknown as { textMetrics: { width: (item: TextItem, text?: string) => number } };

/** Text laid out at DejaVu Sans' widths, not vega's estimate without a canvas (0.8 em a character). */
textMetrics.width = (item: TextItem, text?: string): number => {
  const weight = item.fontWeight;
  return textWidth(String(text ?? '').trim(), item.fontSize ?? 11, weight === 'bold' || Number(weight) >= 600);
};

/**
 * Render a vega-lite specification to an SVG document (white background). vega-lite's and vega's warnings go to
 * `onWarning` (default: dropped), not to the console: a report prints only what rsn says.
 */
export async function renderSvg(spec: TopLevelSpec, onWarning: (message: string) => void = () => {}): Promise<string> {
  const withConfig = { ...spec, background: 'white', config: { ...CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  const logger = quietLogger(onWarning);
  const view = new View(parse(compile(withConfig, { logger }).spec), { renderer: 'none', logger });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** vega's logger at warning level, its warnings and errors handed to `onWarning` instead of the console. */
function quietLogger(onWarning: (message: string) => void) {
  const quiet = vegaLogger(Warn);
  const hand = (...args: readonly unknown[]) => {
    onWarning(args.map(String).join(' '));
    return quiet;
  };
  return Object.assign(quiet, { warn: hand, error: hand, info: () => quiet, debug: () => quiet });
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
