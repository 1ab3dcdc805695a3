/**
 * Charts drawn on the server: chart.js 4 on @napi-rs/canvas. SVG for PDFs (vector, about 10 ms per
 * chart, text stays text) and PNG for the workbook (exceljs embeds only raster images).
 *
 * Each chart function maps plain data to one chart.js configuration; `renderChart` does the drawing.
 */
import { createCanvas, SvgExportFlag } from '@napi-rs/canvas';
import { Chart, registerables, type ChartConfiguration, type Plugin } from 'chart.js';
import { formatScore, REPORT_LOCALE } from './format.js';

Chart.register(...registerables);
Chart.defaults.font.family = 'DejaVu Sans';
Chart.defaults.font.size = 11;
Chart.defaults.color = '#333';

export type ChartFormat = 'svg' | 'png';

export interface ChartImage {
  format: ChartFormat;
  width: number;
  height: number;
  /** SVG text (UTF-8) or PNG bytes. */
  data: Buffer;
  /** Short description for screen readers and the image's alt text. */
  title: string;
}

export interface ChartOptions {
  format?: ChartFormat;
  width?: number;
  height?: number;
}

export const PALETTE = {
  primary: '#1f4e79',
  editions: ['#1f4e79', '#2e86c1', '#85c1e9', '#a9cce3', '#d4e6f1'],
  highlight: '#c0392b',
  reference: ['#c0392b', '#d68910', '#229954'],
  muted: '#7f8c8d',
  grid: 'rgba(0, 0, 0, 0.08)',
} as const;

/** A4 content width at 96 dpi is about 680 px; charts are drawn at that size and scale with the page. */
const DEFAULT_WIDTH = 680;
/** PNGs are drawn at twice the size so they stay sharp in a spreadsheet. */
const PNG_PIXEL_RATIO = 2;

const scoreTick = (value: number | string): string => formatScore(Number(value), 2).replace(/0$/, '');

/**
 * Writes each bar's value at its end. "over" draws after the datasets on a white box (horizontal bars,
 * where a reference line may cross the label); "under" draws before them so reference markers drawn
 * as datasets stay visible over the label.
 */
function valueLabels(layer: 'over' | 'under'): Plugin {
  const draw = (chart: Chart): void => {
    const { ctx } = chart;
    const horizontal = chart.options.indexAxis === 'y';
    ctx.save();
    ctx.font = `9px ${Chart.defaults.font.family}`;
    chart.data.datasets.forEach((dataset, d) => {
      const meta = chart.getDatasetMeta(d);
      if (meta.type !== 'bar' || meta.hidden) return;
      meta.data.forEach((element, i) => {
        const value = dataset.data[i];
        if (typeof value !== 'number') return;
        const { x, y } = element.getProps(['x', 'y'], true) as { x: number; y: number };
        const text = formatScore(value);
        if (layer === 'over') {
          const width = ctx.measureText(text).width;
          ctx.fillStyle = '#fff';
          if (horizontal) ctx.fillRect(x + 2, y - 6, width + 3, 12);
          else ctx.fillRect(x - width / 2 - 2, y - 13, width + 4, 11);
        }
        ctx.fillStyle = '#222';
        if (horizontal) {
          ctx.textAlign = 'left';
          ctx.textBaseline = 'middle';
          ctx.fillText(text, x + 3, y);
        } else {
          ctx.textAlign = 'center';
          ctx.textBaseline = 'bottom';
          ctx.fillText(text, x, y - 2);
        }
      });
    });
    ctx.restore();
  };
  return layer === 'over' ? { id: 'mgaValueLabels', afterDatasetsDraw: draw } : { id: 'mgaValueLabels', beforeDatasetsDraw: draw };
}

/** A dashed line across the plot at a reference value (e.g. the national mean), labelled. */
function referenceLine(value: number, label: string): Plugin {
  return {
    id: 'mgaReferenceLine',
    // Registered before the value labels, so the labels stay on top of the line.
    afterDatasetsDraw(chart) {
      const horizontal = chart.options.indexAxis === 'y';
      const scale = horizontal ? chart.scales.x : chart.scales.y;
      if (!scale) return;
      const { ctx, chartArea } = chart;
      const at = scale.getPixelForValue(value);
      ctx.save();
      ctx.strokeStyle = PALETTE.highlight;
      ctx.lineWidth = 1.5;
      ctx.setLineDash([5, 3]);
      ctx.beginPath();
      if (horizontal) {
        ctx.moveTo(at, chartArea.top);
        ctx.lineTo(at, chartArea.bottom);
      } else {
        ctx.moveTo(chartArea.left, at);
        ctx.lineTo(chartArea.right, at);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = PALETTE.highlight;
      ctx.font = `bold 10px ${Chart.defaults.font.family}`;
      const text = `${label}: ${formatScore(value)}`;
      if (horizontal) {
        ctx.textAlign = 'left';
        ctx.textBaseline = 'bottom';
        ctx.fillText(text, at + 4, chartArea.top - 2);
      } else {
        ctx.textAlign = 'right';
        ctx.textBaseline = 'bottom';
        ctx.fillText(text, chartArea.right, at - 2);
      }
      ctx.restore();
    },
  };
}

/** Spreadsheets show transparent PNGs on their grid: paint the background white. */
const whiteBackground: Plugin = {
  id: 'mgaWhiteBackground',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** Draws a chart.js configuration once, without animation or resizing, and returns the image. */
export function renderChart(config: ChartConfiguration, title: string, width: number, height: number, format: ChartFormat = 'svg'): ChartImage {
  // chart.js enlarges the raster canvas by devicePixelRatio itself and keeps laying out in CSS pixels.
  const svgCanvas = format === 'svg' ? createCanvas(width, height, SvgExportFlag.NoPrettyXML) : undefined;
  const rasterCanvas = svgCanvas ? undefined : createCanvas(width, height);
  const canvas = svgCanvas ?? rasterCanvas!;
  const plugins = [...(config.plugins ?? []), ...(format === 'png' ? [whiteBackground] : [])];
  const chart = new Chart(canvas.getContext('2d') as unknown as CanvasRenderingContext2D, {
    ...config,
    plugins,
    options: {
      ...config.options,
      locale: REPORT_LOCALE,
      animation: false,
      responsive: false,
      maintainAspectRatio: false,
      devicePixelRatio: format === 'png' ? PNG_PIXEL_RATIO : 1,
    },
  } as ChartConfiguration);
  chart.draw();
  const data = svgCanvas ? svgCanvas.getContent() : rasterCanvas!.toBuffer('image/png');
  chart.destroy();
  return { format, width, height, data: Buffer.from(data), title };
}

const scoreAxis = (max = 1) => ({
  min: 0,
  max,
  // Tenths on the full score scale; chart.js's own steps on shorter axes (e.g. gaps up to 0.25).
  ticks: max === 1 ? { callback: scoreTick, stepSize: 0.1 } : { callback: scoreTick },
  grid: { color: PALETTE.grid },
});

export interface RankedBarItem {
  label: string;
  value: number | null;
  /** Drawn in the highlight colour (e.g. the entity of an entity report). */
  highlight?: boolean;
}

export interface RankedBarInput {
  title: string;
  /** Sorted highest first by the caller's ranking. */
  items: readonly RankedBarItem[];
  /** A reference value drawn as a dashed line (e.g. the national mean). */
  reference?: { label: string; value: number };
  /** Label of the bars in the legend. */
  seriesLabel: string;
  /** Upper end of the value axis; default 1 (the score scale). */
  axisMax?: number;
}

/** Horizontal bars, one per item in the given order (e.g. the 33 entities by IGA), with a reference line. */
export function rankedBarChart(input: RankedBarInput, options: ChartOptions = {}): ChartImage {
  const width = options.width ?? DEFAULT_WIDTH;
  const height = options.height ?? 70 + 16 * input.items.length;
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: input.items.map((i) => i.label),
      datasets: [
        {
          label: input.seriesLabel,
          data: input.items.map((i) => i.value),
          backgroundColor: input.items.map((i) => (i.highlight ? PALETTE.highlight : PALETTE.primary)),
          barPercentage: 0.8,
          categoryPercentage: 0.9,
        },
      ],
    },
    options: {
      indexAxis: 'y',
      layout: { padding: { top: 14, right: 30 } },
      scales: { x: scoreAxis(input.axisMax), y: { ticks: { autoSkip: false, font: { size: 9 } }, grid: { display: false } } },
      plugins: { legend: { display: false }, title: { display: false } },
    },
    plugins: [...(input.reference ? [referenceLine(input.reference.value, input.reference.label)] : []), valueLabels('over')],
  };
  return renderChart(config as ChartConfiguration, input.title, width, height, options.format);
}

export interface Series {
  label: string;
  /** One per category; null where the series has no value (drawn as a gap, never as zero). */
  values: readonly (number | null)[];
}

export interface GroupedBarInput {
  title: string;
  categories: readonly string[];
  series: readonly Series[];
}

/** Vertical bars grouped by category, one colour per series (e.g. indices per edition). */
export function groupedBarChart(input: GroupedBarInput, options: ChartOptions = {}): ChartImage {
  const config: ChartConfiguration<'bar'> = {
    type: 'bar',
    data: {
      labels: [...input.categories],
      datasets: input.series.map((s, i) => ({
        label: s.label,
        data: [...s.values],
        backgroundColor: PALETTE.editions[i % PALETTE.editions.length],
        barPercentage: 0.9,
        categoryPercentage: 0.8,
      })),
    },
    options: {
      layout: { padding: { top: 8 } },
      scales: { y: scoreAxis(), x: { grid: { display: false } } },
      plugins: { legend: { position: 'top' } },
    },
    plugins: [valueLabels('under')],
  };
  return renderChart(config as ChartConfiguration, input.title, options.width ?? DEFAULT_WIDTH, options.height ?? 300, options.format);
}

export interface ReferenceBarInput {
  title: string;
  categories: readonly string[];
  /** The bars: the institution or entity reported on. */
  subject: Series;
  /** Markers over the bars: national, entity or type means. */
  references: readonly Series[];
}

/** Bars for the subject and a coloured dash per reference mean on each category. */
export function referenceBarChart(input: ReferenceBarInput, options: ChartOptions = {}): ChartImage {
  const config: ChartConfiguration = {
    type: 'bar',
    data: {
      labels: [...input.categories],
      datasets: [
        ...input.references.map((r, i) => ({
          type: 'line' as const,
          label: r.label,
          data: [...r.values],
          showLine: false,
          borderColor: PALETTE.reference[i % PALETTE.reference.length],
          backgroundColor: PALETTE.reference[i % PALETTE.reference.length],
          pointStyle: 'line' as const,
          pointRadius: 16,
          pointBorderWidth: 3,
        })),
        { type: 'bar' as const, label: input.subject.label, data: [...input.subject.values], backgroundColor: PALETTE.primary, barPercentage: 0.6, pointStyle: 'rect' as const },
      ],
    },
    options: {
      layout: { padding: { top: 8 } },
      scales: { y: scoreAxis(), x: { grid: { display: false } } },
      plugins: { legend: { position: 'top', labels: { usePointStyle: true } } },
    },
    // No value labels: the markers would cover them on short bars, and the report prints the numbers in a table.
    plugins: [],
  };
  return renderChart(config, input.title, options.width ?? DEFAULT_WIDTH, options.height ?? 280, options.format);
}

/**
 * The chart for inline use in HTML: SVG inline with its element ids made unique (several SVGs in one
 * document would otherwise share clip-path ids), PNG as a data URI image.
 */
export function chartHtml(image: ChartImage, idPrefix: string): string {
  const alt = image.title.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  if (image.format === 'png') {
    return `<img class="chart" alt="${alt}" width="${image.width}" height="${image.height}" src="data:image/png;base64,${image.data.toString('base64')}">`;
  }
  const prefix = idPrefix.replace(/[^A-Za-z0-9_-]/g, '_');
  return image.data
    .toString('utf-8')
    .replace(/^<\?xml[^>]*\?>\s*/, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}-$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}-$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}-$1"`)
    .replace(/^<svg /, `<svg class="chart" role="img" aria-label="${alt}" viewBox="0 0 ${image.width} ${image.height}" `);
}
