/** Charts inline in the results pages: server-drawn SVG with an accessible name, cached per edition results. */
import { chartHtml, type ChartImage } from '../../reports/charts.js';

export interface ChartView {
  /** Trusted SVG markup from the chart library: ids prefixed, text escaped. */
  svg: string;
  title: string;
  caption?: string;
}

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const chartCache = new WeakMap<object, Map<string, ChartView>>();

/** An inline SVG chart with an accessible name (role="img", aria-label and <title>), cached per owner (an edition's results). */
export function chart(owner: object, key: string, draw: () => ChartImage, caption?: string): ChartView {
  let charts = chartCache.get(owner);
  if (!charts) chartCache.set(owner, (charts = new Map()));
  let view = charts.get(key);
  if (!view) {
    const image = draw();
    const svg = chartHtml(image, `c-${key}`).replace(/^(<svg\b[^>]*>)/, `$1<title>${escapeHtml(image.title)}</title>`);
    view = { svg, title: image.title, ...(caption && { caption }) };
    charts.set(key, view);
  }
  return view;
}
