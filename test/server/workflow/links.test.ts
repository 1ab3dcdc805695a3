/**
 * Links that always open: the session a link creates is stored before the redirect is answered, so
 * the page the redirect leads to always finds it — in a loop, and with 50 links opened at once.
 */
import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { Client } from '../../setup/client.js';
import { createPilot, manyMunicipalities, type Pilot } from '../../setup/pilot.js';

/** Opens a link the way a client that follows a 303 at once does: the next request goes out as soon as the headers arrive. */
async function openAndFollow(baseUrl: string, token: string): Promise<{ status: number; html: string }> {
  const client = new Client(baseUrl);
  const opened = await client.get(`/responder/${token}`);
  const location = opened.headers.get('location');
  // Not waiting for the body: browsers follow a redirect when its headers arrive.
  const page = await client.get(location ?? '/responder', { accept: 'text/html' });
  return { status: opened.status, html: await page.text() };
}

describe('workflow: links that always open (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let pilot: Pilot;

  before(async () => {
    await useTestDatabase('workflow_links');
    server = await startTestServer();
    pilot = await createPilot('piloto-ligas', manyMunicipalities(50));
  });
  after(() => server.close());

  it('opening a link and following its redirect at once lands on that institution\'s questionnaire, 30 times in a row', async () => {
    const inst = pilot.institutions[0]!;
    for (let i = 0; i < 30; i++) {
      const { status, html } = await openAndFollow(server.url, inst.token);
      expect(status).to.equal(303);
      expect(html, `attempt ${i + 1}`).to.include(`<h1>${inst.name}</h1>`);
    }
  });

  it('50 links opened at once each land on their own institution', async () => {
    const results = await Promise.all(pilot.institutions.map((inst) => openAndFollow(server.url, inst.token)));
    results.forEach(({ status, html }, i) => {
      expect(status).to.equal(303);
      expect(html, pilot.institutions[i]!.name).to.include(`<h1>${pilot.institutions[i]!.name}</h1>`);
    });
  });

  it('a session opened by a link cannot open another institution\'s review pages (20 times)', async () => {
    const [a, b] = pilot.institutions as [Pilot['institutions'][number], Pilot['institutions'][number]];
    for (let i = 0; i < 20; i++) {
      const page = new Client(server.url);
      expect((await page.get(`/responder/${b.token}`)).status).to.equal(303);
      const html = await page.page('/responder/todas');
      expect(html).to.include(b.name).and.not.include(`<h1>${a.name}</h1>`);
      expect((await page.get(`/evaluacion/${pilot.editionId}/sujetos/${a.id}`, { accept: 'application/json' })).status).to.equal(403);
    }
  });

  it('a flash message set before a redirect is there on the page the redirect leads to', async () => {
    const inst = pilot.institutions[1]!;
    for (let i = 0; i < 10; i++) {
      const client = new Client(server.url);
      await client.get(`/responder/${inst.token}`);
      await client.page('/responder/todas');
      const html = await client.page('/responder/todas');
      const revision = /name="baseRevision" value="(\d+)"/.exec(html)![1]!;
      const saved = await client.request('POST', '/responder', { form: { aiStaffCount: String(i + 1), action: 'save', baseRevision: revision }, headers: { accept: 'text/html' } });
      expect(saved.status).to.equal(303);
      const next = await client.get(saved.headers.get('location')!, { accept: 'text/html' });
      expect(await next.text()).to.include('Borrador guardado');
    }
  });
});
