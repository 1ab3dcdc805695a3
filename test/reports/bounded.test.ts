/**
 * Bounded PDF rendering and the PDF cache, on a real MongoDB and the real browser: a fixed number of
 * pages print at once, requests people wait for go before background work, a full queue answers 503
 * with Retry-After (problem+json, or a Spanish page for a browser); PDFs of published editions come
 * from the cache with an ETag until the edition's data changes.
 */
import { expect } from 'chai';
import mongoose from 'mongoose';
import { closeBrowser } from '../../reports/browser.js';
import { configurePagePool, pagePool, RenderBusyError } from '../../reports/pages.js';
import { BUCKETS } from '../../server/files/gridfs.js';
import { InstitutionModel } from '../../server/models/institution.js';
import { EditionModel } from '../../server/models/edition.js';
import { importEditionResults } from '../../server/services/results.js';
import { changeStatus } from '../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../server/services/audit.js';
import { useTestDatabase } from '../setup/database.js';
import { startTestServer, type TestServer } from '../setup/http.js';
import { createSmallEdition, SMALL_EDITION_CSV } from './smallEdition.js';

/** A task that holds its page until released. */
function holder(): { release: () => void; task: () => Promise<void> } {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  return { release, task: () => held };
}

describe('bounded PDF rendering and the PDF cache (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let cardPaths: string[];

  before(async () => {
    await useTestDatabase('reports_bounded');
    await createSmallEdition();
    server = await startTestServer();
    const ids = (await InstitutionModel.find({ scope: 'mga-prueba' }).sort({ normalizedName: 1 }).lean()).map((i) => String(i._id));
    cardPaths = ids.map((id) => `/api/v1/reports/editions/mga-prueba/institutions/${id}.pdf`);
  });
  after(async () => {
    await server?.close();
    configurePagePool({});
    await closeBrowser();
  });

  describe('the page pool', () => {
    it('prints on a fixed number of pages; people before background work; a full queue refuses at once', async () => {
      const pool = configurePagePool({ pages: 1, maxQueue: 1 });
      const order: string[] = [];
      const first = holder();
      const running = pool.use(async () => {
        order.push('first');
        await first.task();
      });
      const background = pool.use(async () => void order.push('background'), { priority: 'background' });
      const person = pool.use(async () => void order.push('person'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(pool.stats()).to.deep.include({ running: 1, interactive: 1, background: 1 });
      // The interactive queue holds one: the next person is refused with a time to come back.
      let refused: unknown;
      await pool.use(async () => undefined).catch((error: unknown) => (refused = error));
      expect(refused).to.be.instanceOf(RenderBusyError);
      expect((refused as RenderBusyError).retryAfterSeconds).to.be.a('number').and.at.least(1);
      // Background work is never refused: it waits.
      const more = pool.use(async () => void order.push('background 2'), { priority: 'background' });
      first.release();
      await Promise.all([running, background, person, more]);
      expect(order).to.deep.equal(['first', 'person', 'background', 'background 2']);
      expect(pool.stats()).to.deep.include({ running: 0, interactive: 0, background: 0 });
    });

    it('a page whose task failed is not reused; the next task gets a fresh one', async () => {
      const pool = configurePagePool({ pages: 1, maxQueue: 4 });
      let broken: unknown;
      await pool.use(async (page) => {
        broken = page;
        throw new Error('boom');
      }).catch(() => undefined);
      const next = await pool.use(async (page) => page);
      expect(next).not.to.equal(broken);
      expect(next.isClosed()).to.equal(false);
    });
  });

  describe('over HTTP', () => {
    it('503 with Retry-After when the queue is full: problem+json for programs, a Spanish page for browsers', async () => {
      const pool = configurePagePool({ pages: 1, maxQueue: 1 });
      const first = holder();
      const second = holder();
      const busy = [pool.use(first.task), pool.use(second.task)];
      await new Promise((resolve) => setTimeout(resolve, 50));
      const api = await fetch(server.url + cardPaths[0]!);
      expect(api.status).to.equal(503);
      expect(Number(api.headers.get('retry-after'))).to.be.at.least(1);
      expect(api.headers.get('content-type')).to.match(/^application\/problem\+json/);
      expect(api.headers.get('content-disposition')).to.equal(null);
      const problem = (await api.json()) as { status: number; detail: string; code: string };
      expect(problem.detail).to.match(/busy/);
      expect(problem.code).to.equal('pdf_busy');
      const page = await fetch(server.url + cardPaths[0]!, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
      expect(page.status).to.equal(503);
      expect(page.headers.get('retry-after')).to.match(/^\d+$/);
      expect(page.headers.get('content-type')).to.match(/^text\/html/);
      const html = await page.text();
      expect(html).to.include('Estamos generando muchos reportes en este momento').and.match(/Vuelva a intentarlo en \d+ segundos?/);
      first.release();
      second.release();
      await Promise.all(busy);
      const after = await fetch(server.url + cardPaths[0]!);
      expect(after.status).to.equal(200);
      expect(after.headers.get('content-type')).to.equal('application/pdf');
    });

    it('identical requests at the same time share one print (none is refused even with no queue)', async () => {
      configurePagePool({ pages: 1, maxQueue: 0 });
      const responses = await Promise.all(Array.from({ length: 5 }, () => fetch(server.url + cardPaths[1]!)));
      expect(responses.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
      const bodies = await Promise.all(responses.map(async (r) => Buffer.from(await r.arrayBuffer())));
      for (const body of bodies) expect(body.equals(bodies[0]!)).to.equal(true);
      configurePagePool({});
    });
  });

  describe('cache', () => {
    const files = () => mongoose.connection.db!.collection(`${BUCKETS.reportCache}.files`);
    /** As an admin corrects a published edition: reopen the publication, import, publish again. */
    const reimport = async (csv: string, fileName: string) => {
      await changeStatus('mga-prueba', 'review', { actor: SYSTEM_ACTOR, reason: 'Corrección de los resultados' });
      await importEditionResults('mga-prueba', Buffer.from(csv), { format: 'csv', preset: 'mga-2017', fileName });
      await changeStatus('mga-prueba', 'published', { actor: SYSTEM_ACTOR });
    };

    it('serves a published PDF from the cache with its ETag, 304 when the client has it', async () => {
      const path = `/api/v1/reports/editions/mga-prueba/entities/Jalisco.pdf`;
      const first = await fetch(server.url + path);
      expect(first.status).to.equal(200);
      expect(first.headers.get('x-cache')).to.equal('miss');
      const etag = first.headers.get('etag')!;
      expect(etag).to.match(/^"[0-9a-f]{40}"$/);
      const body = Buffer.from(await first.arrayBuffer());
      await new Promise((resolve) => setTimeout(resolve, 500)); // stored just after the answer
      const second = await fetch(server.url + path);
      expect(second.status).to.equal(200);
      expect(second.headers.get('x-cache')).to.equal('hit');
      expect(second.headers.get('etag')).to.equal(etag);
      expect(second.headers.get('content-disposition')).to.equal('attachment; filename=mga-prueba-entidad-jalisco.pdf');
      expect(Number(second.headers.get('content-length'))).to.equal(body.length);
      expect(Buffer.from(await second.arrayBuffer()).equals(body)).to.equal(true);
      // As a browser revalidates (fetch would add Cache-Control: no-cache to a conditional request, which forbids a 304).
      const conditional = await fetch(server.url + path, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
      expect(conditional.status).to.equal(304);
      expect(await conditional.text()).to.equal('');
      // Other parameters are another PDF.
      const other = await fetch(server.url + `/api/v1/reports/editions/mga-prueba/entities/Guanajuato.pdf`, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
      expect(other.status).to.equal(200);
      expect(other.headers.get('etag')).not.to.equal(etag);
    });

    it('a new import of the same data keeps the cached PDF; changed data makes a new one and drops every old PDF of the edition', async () => {
      const path = cardPaths[2]!;
      const before = await fetch(server.url + path);
      const etag = before.headers.get('etag')!;
      await before.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, 500));
      const version = (await EditionModel.findOne({ editionId: 'mga-prueba' }).lean())!.resultsVersion;

      // The same file again (publication reopened and published again): the results version moves, the data does not.
      await reimport(SMALL_EDITION_CSV, 'prueba.csv');
      expect((await EditionModel.findOne({ editionId: 'mga-prueba' }).lean())!.resultsVersion).to.equal(version + 1);
      const same = await fetch(server.url + path);
      expect(same.headers.get('etag')).to.equal(etag);
      expect(same.headers.get('x-cache')).to.equal('hit');
      await same.arrayBuffer();

      // Changed data (León's PC): every PDF of the edition has a new key; this one is printed again.
      await reimport(SMALL_EDITION_CSV.replace('0.3581,0.1,0.6163,0.7033,0.5292,0,0.2', '0.3831,0.15,0.6163,0.7033,0.5292,0,0.3'), 'prueba-2.csv');
      const changed = await fetch(server.url + path, { headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' } });
      expect(changed.status).to.equal(200);
      expect(changed.headers.get('x-cache')).to.equal('miss');
      expect(changed.headers.get('etag')).not.to.equal(etag);
      await changed.arrayBuffer();
      // Stored and purged just after the answer: wait for it (a loaded machine takes a while), then check.
      const fresh = changed.headers.get('etag')!.slice(1, -1);
      const cachedNames = async () => (await files().find({ 'metadata.edition': 'mga-prueba' }).toArray()).map((f) => f.filename as string);
      for (let waited = 0; waited < 15_000; waited += 200) {
        const names = await cachedNames();
        if (names.length === 1 && names[0] === fresh) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await files().countDocuments({ filename: etag.slice(1, -1) })).to.equal(0);
      expect(await files().countDocuments({ filename: fresh })).to.equal(1);
      // The edition's other PDFs cached before the change (the entity reports of the test above) are gone too, unasked.
      expect(await cachedNames()).to.deep.equal([fresh]);
    });

    it('an unpublished edition has no public PDF (and nothing is cached for it)', async () => {
      await createSmallEdition('mga-borrador', 'draft');
      const res = await fetch(server.url + '/api/v1/reports/editions/mga-borrador/entities/Jalisco.pdf');
      expect(res.status).to.equal(404);
      expect(await files().countDocuments({ 'metadata.edition': 'mga-borrador' })).to.equal(0);
    });
  });
});
