// Rendering Vega-Lite specs without a browser: compile to Vega, render headless to SVG
// (vega's own SVG renderer, no canvas), SVG to PNG with resvg and the DejaVu fonts.
import { existsSync } from 'node:fs';
import * as vega from 'vega';
import { compile } from 'vega-lite';
import type { VlSpec } from './specs.js';

export function toVega(spec: VlSpec): vega.Spec {
  // vega-lite's TopLevelSpec type is wider than our plain-object builders need to state.
  return compile(spec as unknown as Parameters<typeof compile>[0]).spec;
}

export async function renderSvg(spec: VlSpec): Promise<string> {
  const view = new vega.View(vega.parse(toVega(spec)), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Debian's fonts-dejavu-core; resvg draws no text without a font file. */
export const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

export function fontsAvailable(): boolean {
  return FONT_FILES.every((f) => existsSync(f));
}

export async function svgToPng(svg: string, scale = 2): Promise<Uint8Array> {
  const { Resvg } = await import('@resvg/resvg-js');
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: { fontFiles: FONT_FILES.filter((f) => existsSync(f)), loadSystemFonts: false, defaultFontFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}
