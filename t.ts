import { readFileSync } from 'node:fs';
import { loadBuiltinMethodology } from './questionnaires/methodologies.js';
import { parseResultsTable } from './scoring/import/index.js';
import { buildModel } from './scoring/analysis/model.js';
import { runUncertainty, uncertaintyCsvRows } from './scoring/analysis/uncertainty.js';
import { toCsv } from './scoring/recalc.js';
const m = loadBuiltinMethodology('mga-2017');
const { rows } = await parseResultsTable(readFileSync('data/mga-2017/sujetos_obligados_2017.csv'), { format: 'csv', preset: 'mga-2017', methodology: m });
for (const by of ['entity', 'institution']) {
  let t = performance.now();
  const model = buildModel({ methodology: m, givens: rows.map((r) => r.values), ...(by === 'entity' ? { groupOfRow: rows.map((r) => r.entity) } : { rowLabels: rows.map((r) => `${r.name} (${r.entity})`) }) });
  console.log('model', (performance.now() - t).toFixed(1), model.slotIds, model.aggregated.map(a=>a.id));
  for (const aggs of [undefined, ['arithmetic', 'geometric']] as const) {
    t = performance.now();
    const res = runUncertainty(model, { runs: 10000, seed: 42, by, date: '2024-01-01', weightsRange: 0.25, ...(aggs && { aggregations: aggs }) });
    console.log(by, aggs, (performance.now() - t).toFixed(0), 'ms', res.zeroTerms);
    console.log(toCsv(uncertaintyCsvRows(res)).split('\n').slice(0, 5).join('\n'));
  }
}
