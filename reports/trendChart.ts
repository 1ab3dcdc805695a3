/**
 * A small trend chart across editions (chart.js line chart on @napi-rs/canvas, like ./charts.ts):
 * one line per series, a point per edition with a value. An edition without a value has no point;
 * the line crosses it dashed, so a missing figure is never drawn as a zero nor as a measured value.
 */
import type { ChartConfiguration, Plugin, ScriptableLineSegmentContext } from 'chart.js';
import { PALETTE, renderChart, type ChartImage, type ChartOptions } from './charts.js';
import { formatScore } from './format.js';

export interface TrendSeries {
  label: string;
  /** One per edition, in the input's order; null where the edition has no figure. */
  values: readonly (number | null)[];
  /** "reference" series (e.g. the national figure) are drawn thin, grey and dashed. */
  role?: 'main' | 'reference';
}

export interface TrendInput {
  title: string;
  editions: readonly string[];
  series: readonly TrendSeries[];
}

const LINE_COLOURS = [PALETTE.primary, PALETTE.reference[0], PALETTE.reference[2], PALETTE.reference[1]];
const REFERENCE_COLOURS = ['#7f8c8d', '#a6acaf', '#566573'];

/** The value of every point of the main series, right of it; labels of one edition are spread so they never overlap. */
function pointLabels(mainCount: number): Plugin {
  const LINE = 11;
  return {
    id: 'mgaPointLabels',
    afterDatasetsDraw(chart) {
      const { ctx } = chart;
      const byEdition = new Map<number, { x: number; y: number; text: string; colour: string }[]>();
      chart.data.datasets.forEach((dataset, d) => {
        if (d >= mainCount) return;
        chart.getDatasetMeta(d).data.forEach((element, i) => {
          const value = dataset.data[i];
          if (typeof value !== 'number') return;
          const { x, y } = element.getProps(['x', 'y'], true) as { x: number; y: number };
          byEdition.set(i, [...(byEdition.get(i) ?? []), { x, y, text: formatScore(value), colour: String(dataset.borderColor ?? '#222') }]);
        });
      });
      ctx.save();
      ctx.font = 'bold 9px DejaVu Sans';
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      for (const labels of byEdition.values()) {
        labels.sort((a, b) => a.y - b.y);
        // Push each label down until it clears the one above, then centre the block on the points.
        const placed = labels.map((l) => l.y);
        for (let i = 1; i < placed.length; i++) placed[i] = Math.max(placed[i]!, placed[i - 1]! + LINE);
        const shift = (placed.reduce((a, b) => a + b, 0) - labels.reduce((a, l) => a + l.y, 0)) / labels.length;
        labels.forEach((l, i) => {
          const y = placed[i]! - shift;
          ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
          ctx.fillRect(l.x + 6, y - 5.5, ctx.measureText(l.text).width + 2, 11);
          ctx.fillStyle = l.colour;
          ctx.fillText(l.text, l.x + 7, y);
        });
      }
      ctx.restore();
    },
  };
}

/** Lines across editions on the 0–1 scale; missing editions are crossed by a dashed segment. */
export function trendChart(input: TrendInput, options: ChartOptions = {}): ChartImage {
  const main = input.series.filter((s) => s.role !== 'reference');
  const reference = input.series.filter((s) => s.role === 'reference');
  const skipped = (ctx: ScriptableLineSegmentContext, dash: number[]) => (ctx.p0.skip || ctx.p1.skip ? [4, 4] : dash);
  const config: ChartConfiguration<'line'> = {
    type: 'line',
    data: {
      labels: [...input.editions],
      datasets: [
        ...main.map((s, i) => ({
          label: s.label,
          data: [...s.values],
          borderColor: LINE_COLOURS[i % LINE_COLOURS.length],
          backgroundColor: LINE_COLOURS[i % LINE_COLOURS.length],
          borderWidth: 2,
          pointRadius: 4,
          spanGaps: true,
          segment: { borderDash: (ctx: ScriptableLineSegmentContext) => skipped(ctx, []) },
        })),
        ...reference.map((s, i) => ({
          label: s.label,
          data: [...s.values],
          borderColor: REFERENCE_COLOURS[i % REFERENCE_COLOURS.length],
          backgroundColor: REFERENCE_COLOURS[i % REFERENCE_COLOURS.length],
          borderWidth: 1.5,
          borderDash: [2, 3],
          pointRadius: 3,
          pointStyle: 'rectRot' as const,
          spanGaps: true,
        })),
      ],
    },
    options: {
      layout: { padding: { top: 10, right: 16, left: 4 } },
      scales: {
        y: { min: 0, max: 1, ticks: { stepSize: 0.2, callback: (v: number | string) => formatScore(Number(v), 1) }, grid: { color: PALETTE.grid } },
        x: { grid: { display: false }, offset: true },
      },
      plugins: { legend: { position: 'top', labels: { boxWidth: 18 } } },
    },
    plugins: [pointLabels(main.length)],
  };
  return renderChart(config as ChartConfiguration, input.title, options.width ?? 680, options.height ?? 250, options.format);
}
