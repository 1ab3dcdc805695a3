/**
 * The score explanation where people read it: the evaluator's institution page, the public
 * institution page, the institution card PDF and the JSON API, for a pilot institution scored from
 * the demo answers (checked against the hand computation in test/questionnaires/demoScore.ts) and for
 * a 2017 institution (sub-indices only); and the public Metodología page.
 */
import { expect } from 'chai';
import { assignEditionToEvaluators } from '../setup/assignments.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { Client, loggedIn } from '../setup/client.js';
import { createPilot, type Pilot } from '../setup/pilot.js';
import { definitionIdentifiers, identifiersIn, pageText } from '../setup/definitionIds.js';
import { pdfFacts } from '../reports/fixtures.js';
import { DEMO_SCORE } from '../questionnaires/demoScore.js';
import { DEMO_ANSWERS } from '../../questionnaires/demo-answers.js';
import { loadInstrument } from '../../questionnaires/engine.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { methodologyGraph } from '../../scoring/methodology.js';
import { formatFixed } from '../../scoring/rounding.js';
import { EditionModel } from '../../server/models/edition.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { approveResponse, editionInstrument, saveCitizenLogs, submitAnswers } from '../../server/services/responses.js';
import { createEdition } from '../../server/services/editions.js';
import { changeStatus } from '../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import { importEditionResults } from '../../server/services/results.js';
import { readFileSync } from 'node:fs';
import { institutionReportPdf } from '../../server/services/reports.js';
import { closeBrowser } from '../../reports/browser.js';

const f4 = (v: number) => formatFixed(v, 4);
/** The TG line a person writes by hand from the demo answers (METHODOLOGY.md §2 weights). */
const TG_LINE = `TG = 0.5 × ${f4(DEMO_SCORE.AI)} + 0.2 × ${f4(DEMO_SCORE.TR)} + 0.2 × ${f4(DEMO_SCORE.TP)} + 0.1 × ${f4(DEMO_SCORE.DA)} = ${f4(DEMO_SCORE.TG)}`;
const flat = (text: string) => text.replace(/\s+/g, ' ');

describe('score explanations in the pages, the card and the API (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let pilot: Pilot;
  let zapopan: string;
  let evaluator: Client;
  const ids = definitionIdentifiers();

  before(async () => {
    await useTestDatabase('explanations');
    server = await startTestServer();
    pilot = await createPilot('piloto-explica');
    zapopan = pilot.institutions.find((i) => i.name === 'Municipio de Zapopan')!.id;
    const own = await editionInstrument(pilot.editionId, 'institution');
    const logs = await editionInstrument(pilot.editionId, 'evaluator');
    const actor = { kind: 'user' as const, id: 'test', label: 'Prueba', role: 'evaluator' as const };
    await submitAnswers(pilot.editionId, zapopan, own, DEMO_ANSWERS['mga-2017-gobierno'], { actor, editableIn: ['draft'] });
    await approveResponse(pilot.editionId, zapopan, own, { actor });
    // Completing the citizen logs of an approved questionnaire scores the institution.
    await saveCitizenLogs(pilot.editionId, zapopan, logs, DEMO_ANSWERS['mga-2017-ciudadano'], { actor, complete: true });
    evaluator = await loggedIn(server.url, 'evaluator', [pilot.editionId]);
    await assignEditionToEvaluators(pilot.editionId);
  });
  after(async () => {
    await closeBrowser();
    await server.close();
  });

  it('the evaluator\'s page explains every number in words, with the formula line a person computes by hand', async () => {
    const html = await evaluator.page(`/evaluacion/${pilot.editionId}/sujetos/${zapopan}`);
    const text = pageText(html);
    expect(text).to.include('De dónde sale cada número');
    expect(text).to.include(TG_LINE);
    expect(text).to.include('TG = 0.5 × Acceso a la información + 0.2 × Transparencia reactiva + 0.2 × Transparencia proactiva + 0.1 × Datos abiertos');
    expect(text).to.include(`IGA = 0.5 × T + 0.5 × P`);
    expect(text).to.include('2 de 3 posibles: Al menos una persona dedicada de tiempo completo');
    expect(text).to.include('Promedio de 4 solicitudes: (1 + 1 + 0 + 0) ÷ 4 = 0.5000');
    expect(text).to.include('No se preguntó: solo se pregunta si la respuesta a «¿Se recibió respuesta?» es «Sí», y fue «No». Cuenta 0.');
    expect(text).to.include('peso 0.5 en TG');
    expect(text).not.to.include('no aplica (cuenta 0)');
    expect(identifiersIn(text, ids)).to.deep.equal([]);
  });

  it('the public institution page and the score API carry the same explanation, without identifiers', async () => {
    await EditionModel.updateOne({ editionId: pilot.editionId }, { $set: { status: 'published' } });
    const html = await (await fetch(`${server.url}/resultados/${pilot.editionId}/sujetos/${zapopan}`)).text();
    const text = pageText(html);
    expect(text).to.include(TG_LINE);
    expect(text).to.include('Sin marcar: Correo postal o mensajería; Teléfono o de forma verbal');
    expect(html).to.include('href="/metodologia/mga-2017"');
    expect(identifiersIn(text, ids)).to.deep.equal([]);

    const res = await fetch(`${server.url}/api/v1/editions/${pilot.editionId}/institutions/${zapopan}/score`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { nodes: { id: string }[]; explanation: { nodes: { short: string; formula: { numeric: string } }[]; variables: { node: string; items: { item: string; answer: string }[] }[] } };
    expect(body.nodes.map((n) => n.id)).to.include('TG.AI'); // the engine's notation stays for programs
    expect(body.explanation.nodes.find((n) => n.short === 'TG')!.formula.numeric).to.equal(TG_LINE);
    const ai = body.explanation.variables.find((v) => v.node === 'TG.AI')!;
    expect(ai.items.find((i) => i.item === 'aiUnit')!.answer).to.equal('Sí');

    const review = (await (await evaluator.get(`/api/v1/editions/${pilot.editionId}/institutions/${zapopan}/review`)).json()) as { score: { explanation: typeof body.explanation }; explanation: { explanation: Record<string, unknown> } };
    expect(review.score.explanation.nodes.find((n) => n.short === 'TG')!.formula.numeric).to.equal(TG_LINE);
    expect(review.explanation.explanation).to.have.property('TG.AI'); // the existing field is kept
  });

  it('the institution card PDF explains every variable from the answers, without identifiers', async () => {
    const card = await institutionReportPdf(pilot.editionId, zapopan, { publishedOnly: false });
    const { text } = await pdfFacts(card.body, 'explicacion-ficha');
    const all = flat(text);
    expect(all).to.include('Cómo se obtiene cada cifra');
    expect(all).to.include(TG_LINE);
    expect(all).to.include('Acceso a la información = (1 + 1 + 0.6667 + 1 + 0.6000 + 1 + 1 + 0) ÷ 8 = 0.7833');
    expect(all).to.include('¿Con qué personal atiende la Unidad de Transparencia las solicitudes?');
    expect(identifiersIn(all, ids)).to.deep.equal([]);
  });

  it('a 2017 institution (given sub-indices) is explained by its formulas on the page and the card, without identifiers', async () => {
    // An edition of its own (results are cached per process by edition id and results version, so
    // another suite's "mga-2017" in another test database must not answer here): BSO2017's first rows.
    const editionId = 'explica-2017';
    await createEdition({ editionId, year: 2017, title: 'Resultados 2017 (extracto)', methodology: 'mga-2017', instruments: [] }, SYSTEM_ACTOR);
    const rows = readFileSync('data/mga-2017/sujetos_obligados_2017.csv', 'utf8').split('\n').slice(0, 6).join('\n');
    await importEditionResults(editionId, Buffer.from(rows), { format: 'csv', preset: 'mga-2017' });
    for (const next of ['collecting', 'review', 'published'] as const) await changeStatus(editionId, next, { actor: SYSTEM_ACTOR });
    const asf = await InstitutionModel.findOne({ scope: editionId, name: 'ASF' }).lean();
    const html = await (await fetch(`${server.url}/resultados/${editionId}/sujetos/${String(asf!._id)}`)).text();
    const text = pageText(html);
    // BSO2017: ASF has T 0.6778 and P 0.333, IGA 0.5054.
    expect(text).to.include('IGA = 0.5 × 0.6778 + 0.5 × 0.3330 = 0.5054 ✓ coincide');
    expect(text).to.include('dato de la edición');
    expect(identifiersIn(text, ids)).to.deep.equal([]);
    const card = await institutionReportPdf(editionId, String(asf!._id));
    const { text: cardText } = await pdfFacts(card.body, 'explicacion-asf');
    expect(flat(cardText)).to.include('IGA = 0.5 × 0.6778 + 0.5 × 0.3330 = 0.5054');
    expect(identifiersIn(flat(cardText), ids)).to.deep.equal([]);
  });

  it('the Metodología page shows every node and weight, every scored question, the sources and the operationalisation, linked from every page', async () => {
    const res = await fetch(`${server.url}/metodologia/mga-2017`);
    expect(res.status).to.equal(200);
    const text = pageText(await res.text());
    const methodology = loadBuiltinMethodology('mga-2017');
    const graph = methodologyGraph(methodology);
    const rows = [...text.matchAll(/Componentes de la metodología y sus pesos(.*?)Fórmulas/g)][0]![1]!;
    for (const node of graph.nodes.filter((n) => n.origin === 'tree')) {
      const name = node.label.es.replace(/\s*\([^()]+\)$/, '');
      expect(rows, node.id).to.include(name);
      if (node.weightInParent !== undefined) expect(rows).to.match(new RegExp(`${name.replace(/[()]/g, '.')}[^0-9]*${String(node.weightInParent).replace('.', '\\.')} `));
    }
    expect(text).to.include('TG = 0.5 × Acceso a la información + 0.2 × Transparencia reactiva + 0.2 × Transparencia proactiva + 0.1 × Datos abiertos');
    expect(text).to.include('IGA = 0.5 × T + 0.5 × P');
    expect(text).to.include('Acceso a la información variable 0.5 0.125');
    for (const def of [loadInstrument('mga-2017-gobierno'), loadInstrument('mga-2017-ciudadano')]) {
      for (const item of def.sections.flatMap((s) => s.items.flatMap((i) => (i.kind === 'group' ? i.items : [i])))) {
        if (item.feeds) expect(text).to.include(item.label.es);
      }
    }
    expect(text).to.include('Operacionalización propia de este proyecto');
    expect(text).to.include('INAI, Métrica de Gobierno Abierto 2017 – Resumen Ejecutivo (febrero de 2017), Anexo 1, pp. 32–33');
    expect(identifiersIn(text, ids)).to.deep.equal([]);

    const home = await (await fetch(`${server.url}/metodologia`)).text();
    expect(home).to.include('href="/metodologia/mga-2017"');
    expect(home).to.match(/<footer[^>]*>[\s\S]*href="\/metodologia"/);
    expect((await fetch(`${server.url}/metodologia/no-existe`)).status).to.equal(404);
  });
});
