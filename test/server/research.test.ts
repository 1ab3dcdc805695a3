/**
 * Researchers over HTTP (real MongoDB, the 2017 edition): the uncertainty analysis as a job (API →
 * worker → JSON result equal to the same analysis run directly), the «¿Y si…?» and robustness pages.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { buildModel } from '../../scoring/analysis/model.js';
import { runUncertainty } from '../../scoring/analysis/uncertainty.js';
import { startWorker, type JobWorker } from '../../server/jobs/queue.js';
import { createLogger } from '../../server/logger.js';
import { loadReferenceEditions } from '../../server/services/referenceData.js';
import { loadEditionResults } from '../../server/services/reports.js';
import { loggedIn } from '../setup/client.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';

describe('researchers over HTTP: uncertainty job and pages (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  const workers: JobWorker[] = [];

  before(async () => {
    await useTestDatabase('research_http');
    await loadReferenceEditions(() => {});
    server = await startTestServer();
  });
  after(async () => {
    for (const worker of workers) await worker.stop();
    await server?.close();
  });

  it('POST analyses/uncertainty: 202 with a job; a worker runs it; the JSON result equals the direct analysis', async () => {
    const anonymous = await fetch(`${server.url}/api/v1/editions/mga-2017/analyses/uncertainty`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).to.equal(401);
    const client = await loggedIn(server.url, 'viewer');
    const bad = await client.request('POST', '/api/v1/editions/mga-2017/analyses/uncertainty', { json: { runs: 0 } });
    expect(bad.status).to.equal(400);
    const res = await client.request('POST', '/api/v1/editions/mga-2017/analyses/uncertainty', { json: { by: 'type', runs: 9000, seed: 5, weightsRange: 0.3, aggregations: ['arithmetic', 'geometric'] } });
    expect(res.status, await res.clone().text()).to.equal(202);
    const job = await res.json();
    expect(job.kind).to.equal('uncertainty');
    expect(job.total).to.equal(9000);
    workers.push(await startWorker({ logger: createLogger('silent'), settings: { leaseMs: 5000, pollMs: 200 } }));
    let view: { status: string; done: number } = job;
    for (let i = 0; i < 600 && !['done', 'failed'].includes(view.status); i++) {
      await sleep(200);
      view = await (await client.get(`/api/v1/jobs/${job.id}`)).json();
    }
    expect(view.status).to.equal('done');
    const result = await (await client.get(`/api/v1/jobs/${job.id}/result`)).json();
    expect(result.parameters).to.include({ analysis: 'uncertainty', runs: 9000, seed: 5, weightsRange: 0.3, by: 'type' });
    const { results } = await loadEditionResults('mga-2017');
    const direct = runUncertainty(buildModel({ methodology: results.compiled, givens: results.institutions.map((i) => i.values), groupOfRow: results.institutions.map((i) => i.type) }), {
      runs: 9000,
      seed: 5,
      weightsRange: 0.3,
      aggregations: ['arithmetic', 'geometric'],
      by: 'type',
      date: result.parameters.date,
    });
    expect(result.groups).to.deep.equal(JSON.parse(JSON.stringify(direct.groups)));
  });

  it('«¿Y si…?» page: server-side ranks for the weights in the URL, with their parameters', async () => {
    const html = await (await fetch(`${server.url}/resultados/mga-2017/y-si?por=entidad&GA.T=0.70`)).text();
    expect(html).to.include('¿Y si…? Otros pesos para el índice');
    expect(html).to.match(/Índice de Transparencia <output data-first>70 %<\/output>/);
    expect(html).to.match(/\/resultados\/mga-2017\/y-si\?por(=|&#x3D;)entidad&amp;GA\.T(=|&#x3D;)0\.70/);
    expect(html).to.match(/<td class="num">1<\/td><th scope="row">Ciudad de México<\/th>/);
    expect(html).to.include('Variante aplicada');
    // The script's address carries its fingerprint (long-lived caching of static files).
    expect(html).to.match(/<script src="\/static\/whatif\.js\?v(=|&#x3D;)[0-9a-z]+" defer><\/script>/);
    const byType = await (await fetch(`${server.url}/resultados/mga-2017/y-si?por=tipo`)).text();
    expect(byType).to.include('Tipo de sujeto obligado');
    expect(byType).to.not.match(/change-(up|down)/); // official weights: no rank moves
  });

  it('robustness page: rank intervals, sensitivity and correlations, each with its parameters', async () => {
    const res = await fetch(`${server.url}/resultados/mga-2017/robustez`);
    expect(res.status).to.equal(200);
    const html = await res.text();
    expect(html).to.include('Lugar de cada entidad cuando cambian los pesos');
    expect(html).to.include('Qué supuesto mueve más los lugares');
    expect(html).to.include('Correlación entre índices (Pearson)');
    expect(html.match(/Corridas: 2,000; semilla 1\./g)).to.have.length(1);
    expect(html).to.match(/Metodología: mga-2017, versión 2017\.1; huella [0-9a-f]{12}/);
    expect((await fetch(`${server.url}/resultados/mga-1999/robustez`)).status).to.equal(404);
  });
});
