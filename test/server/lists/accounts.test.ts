import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { loggedIn, makeUser, type Client } from '../../setup/client.js';

interface Page {
  total: number;
  items: { email: string; role: string; editions: string[]; active: boolean }[];
}

describe('accounts list: search, filters, pages and CSV (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let admin: Client;
  before(async () => {
    await useTestDatabase('lists_accounts');
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
    for (let i = 0; i < 60; i++) await makeUser(i % 3 === 0 ? 'viewer' : 'evaluator', i % 2 === 0 ? ['piloto-a'] : []);
  });
  after(() => server.close());

  it('pages through the accounts with the true total and filters by role, edition and text', async () => {
    const first = (await (await admin.get('/api/v1/users')).json()) as Page;
    expect(first.total).to.equal(61);
    expect(first.items).to.have.length(50);
    expect(first.items[0]).to.not.have.property('passwordHash');
    const viewers = (await (await admin.get('/api/v1/users?role=viewer&limit=500')).json()) as Page;
    expect(viewers.total).to.equal(20);
    expect(viewers.items.every((u) => u.role === 'viewer')).to.equal(true);
    const inEdition = (await (await admin.get('/api/v1/users?edition=piloto-a&role=evaluator')).json()) as Page;
    expect(inEdition.items.every((u) => u.editions.includes('piloto-a') && u.role === 'evaluator')).to.equal(true);
    expect(inEdition.total).to.equal(20);
    const one = (await (await admin.get(`/api/v1/users?q=${encodeURIComponent(first.items[3]!.email)}`)).json()) as Page;
    expect(one.total).to.equal(1);
    expect((await admin.get('/api/v1/users?role=superuser')).status).to.equal(400);
    const csv = await (await admin.get('/api/v1/users?role=viewer&format=csv')).text();
    expect(csv.trim().split('\r\n')).to.have.length(21);
  });

  it('the page shows 50 accounts, the pager and Spanish role names', async () => {
    const html = await admin.page('/admin/cuentas?sort=email');
    expect(html).to.include('Mostrando 1 a 50 de 61');
    expect(html).to.match(/<td>Evaluación<\/td>/);
    expect(html).to.not.match(/<td>evaluator<\/td>/);
    const second = await admin.page('/admin/cuentas?sort=email&offset=50');
    expect(second).to.include('Mostrando 51 a 61 de 61');
  });
});
