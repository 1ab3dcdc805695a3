import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { Client, loggedIn } from '../../setup/client.js';
import { createLargeEdition, type LargeEdition } from './largeEdition.js';

interface QueuePage {
  total: number;
  limit: number;
  offset: number;
  items: { id: string; name: string; entity: string; answers: string; submittedAt?: string; GA?: number; overdue: boolean }[];
  dashboard: { total: number; statuses: { status: string; count: number }[]; entities: { entity: string; total: number }[]; overdue: number };
}
interface Problem {
  status: number;
  errors: { field: string; reason: string }[];
}

const EDITION = 'nacional-2043';

describe('the review queue at national scale: a 2,043-institution edition (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let admin: Client;
  let viewer: Client;
  let large: LargeEdition;
  const queue = async (client: Client, search = '') => {
    const res = await client.get(`/api/v1/editions/${EDITION}/review${search}`);
    expect(res.status, await res.clone().text()).to.equal(200);
    return (await res.json()) as QueuePage;
  };

  before(async () => {
    await useTestDatabase('lists_queue');
    large = await createLargeEdition(EDITION, 2043, { deadline: new Date(Date.now() - 24 * 3600 * 1000) });
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
    viewer = await loggedIn(server.url, 'viewer', [EDITION]);
  });
  after(() => server.close());

  it('answers a page of 50 with the right total, submitted answers first, oldest first', async () => {
    const page = await queue(admin);
    expect(page.total).to.equal(2043);
    expect(page).to.include({ limit: 50, offset: 0 });
    expect(page.items).to.have.length(50);
    const submitted = large.statuses.submitted;
    expect(page.items.every((i) => i.answers === 'submitted')).to.equal(true);
    const times = page.items.map((i) => Date.parse(i.submittedAt!));
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
    const counts = Object.fromEntries(page.dashboard.statuses.map((s) => [s.status, s.count]));
    expect(counts).to.deep.equal({ none: 2043 - submitted - large.statuses.draft - large.statuses.returned - large.statuses.approved, ...large.statuses });
    expect(page.dashboard.total).to.equal(2043);
    expect(page.dashboard.entities).to.have.length(33);
    expect(page.dashboard.entities.find((e) => e.entity === 'Jalisco')!.total).to.equal(large.perEntity.get('Jalisco'));
  });

  it('pages through the whole queue without gaps or repeats, and the last page holds the remainder', async () => {
    for (const sort of ['name', 'queue', 'status', 'score', '-submitted']) {
      const seen = new Set<string>();
      for (let offset = 0; offset < 2043; offset += 300) {
        const page = await queue(admin, `?limit=300&offset=${offset}&sort=${sort}`);
        expect(page.total).to.equal(2043);
        for (const item of page.items) seen.add(item.id);
      }
      expect(seen.size, sort).to.equal(2043);
    }
    const byStatus = (await queue(admin, '?sort=status&limit=500&offset=1000')).items.map((i) => i.answers);
    const order = ['none', 'draft', 'submitted', 'returned', 'approved'];
    expect(byStatus.map((s) => order.indexOf(s))).to.deep.equal(byStatus.map((s) => order.indexOf(s)).sort((a, b) => a - b));
    const last = await queue(admin, '?offset=2000');
    expect(last.items).to.have.length(43);
  });

  it('filters by status, entity, level and name, and combines them, each with its true total', async () => {
    expect((await queue(admin, '?status=submitted')).total).to.equal(large.statuses.submitted);
    expect((await queue(admin, '?status=approved')).total).to.equal(large.statuses.approved);
    const jalisco = await queue(viewer, `?entity=Jalisco`);
    expect(jalisco.total).to.equal(large.perEntity.get('Jalisco'));
    expect(jalisco.items.every((i) => i.entity === 'Jalisco')).to.equal(true);
    const byName = await queue(admin, `?q=${encodeURIComponent('SUJETO OBLIGADO 00100')}`);
    expect(byName.total).to.equal(10);
    const both = await queue(admin, '?status=submitted&entity=Jalisco&level=Municipal');
    expect(both.items.every((i) => i.entity === 'Jalisco' && i.answers === 'submitted')).to.equal(true);
    expect(both.total).to.be.lessThan(large.perEntity.get('Jalisco')!);
  });

  it('flags overdue answers once the deadline has passed and filters them', async () => {
    const overdue = await queue(admin, '?overdue=true');
    const pending = 2043 - large.statuses.submitted - large.statuses.approved;
    expect(overdue.total).to.equal(pending);
    expect(overdue.items.every((i) => i.overdue && ['none', 'draft', 'returned'].includes(i.answers))).to.equal(true);
    expect(overdue.dashboard.overdue).to.equal(pending);
    expect((await queue(admin, '?overdue=false')).total).to.equal(2043 - pending);
  });

  it('sorts by score with unscored institutions last', async () => {
    const page = await queue(admin, '?sort=score&limit=500');
    const scored = page.items.filter((i) => i.GA !== undefined).map((i) => i.GA!);
    expect(scored.length).to.equal(Math.min(500, large.statuses.approved));
    expect(scored).to.deep.equal([...scored].sort((a, b) => b - a));
    const lowest = await queue(admin, '?sort=-score&limit=5');
    expect(lowest.items[0]!.GA).to.equal(Math.min(...scored));
  });

  it('refuses bad parameters with a 400 naming the parameter', async () => {
    for (const [search, field] of [
      ['?limit=501', 'limit'],
      ['?limit=0', 'limit'],
      ['?offset=-1', 'offset'],
      ['?status=pending', 'status'],
      ['?entity=Texas', 'entity'],
      ['?sort=oldest', 'sort'],
      ['?assignee=someone', 'assignee'],
      ['?estado=submitted', 'estado'],
    ] as const) {
      const res = await admin.get(`/api/v1/editions/${EDITION}/review${search}`);
      expect(res.status, search).to.equal(400);
      const problem = (await res.json()) as Problem;
      expect(problem.errors[0]!.field, search).to.equal(field);
    }
  });

  it('streams the whole filtered list as CSV', async () => {
    const res = await admin.get(`/api/v1/editions/${EDITION}/review?status=submitted&format=csv`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/csv/);
    expect(res.headers.get('content-disposition')).to.match(/cola-nacional-2043\.csv/);
    const lines = (await res.text()).trim().split('\r\n');
    expect(lines).to.have.length(large.statuses.submitted + 1);
    expect(lines[0]).to.match(/id,sujeto_obligado,entidad,tipo,nivel,respuestas,enviado/);
  });

  it('the queue page shows one page of 50 rows, the counts and the pager, whatever the edition size', async () => {
    const res = await admin.get(`/evaluacion/${EDITION}?status=none`, { accept: 'text/html' });
    expect(res.status).to.equal(200);
    const html = await res.text();
    const rows = html.match(/<a href="\/evaluacion\/nacional-2043\/sujetos\/[0-9a-f]{24}">/g) ?? [];
    expect(rows).to.have.length(50);
    expect(html).to.include('Mostrando 1 a 50 de');
    expect(html).to.match(/rel="next"/);
    expect(html.length).to.be.lessThan(120_000);
  });
});
