import { expect } from 'chai';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { loggedIn, type Client } from '../../setup/client.js';
import { issueInvitations } from '../../../server/services/invitations.js';
import { InvitationModel } from '../../../server/models/invitation.js';
import { SYSTEM_ACTOR } from '../../../server/services/audit.js';
import { createLargeEdition, type LargeEdition } from './largeEdition.js';

const EDITION = 'grande-5000';

describe('the admin page of a large edition stays one page long (real MongoDB)', function () {
  this.timeout(180_000);
  let server: TestServer;
  let admin: Client;
  let large: LargeEdition;
  before(async () => {
    await useTestDatabase('lists_admin');
    large = await createLargeEdition(EDITION, 5000);
    // Links for the first 120 institutions; 20 of them revoked.
    const issued = await issueInvitations(EDITION, { baseUrl: 'http://localhost', expiresInDays: 30, actor: SYSTEM_ACTOR, institutionIds: large.ids.slice(0, 120).map(String) });
    await InvitationModel.updateMany({ _id: { $in: issued.slice(0, 20).map((i) => i.invitationId) } }, { $set: { revokedAt: new Date() } });
    server = await startTestServer();
    admin = await loggedIn(server.url, 'admin');
  });
  after(() => server.close());

  it('shows 50 institutions with filters, counts by invitation state and a pager; its size does not grow with the edition', async () => {
    const html = await admin.page(`/admin/ediciones/${EDITION}`);
    const rows = html.match(/<tr>\s*<td>Sujeto obligado \d{6}/g) ?? [];
    expect(rows).to.have.length(50);
    expect(html).to.include('Mostrando 1 a 50 de 5,000');
    expect(html).to.include('Vigente: 100').and.include('Revocada: 20').and.include('Sin invitación: 4880');
    expect(html.length).to.be.lessThan(150_000);
    const revoked = await admin.page(`/admin/ediciones/${EDITION}?invitation=revoked`);
    expect(revoked).to.include('Mostrando 1 a 20 de 20');
    expect(revoked).to.include('Revocada · vence');
  });

  it('lists the sample and the invitations over the API a page at a time, and the sample as CSV', async () => {
    const sample = (await (await admin.get(`/api/v1/editions/${EDITION}/sample?entity=Jalisco&limit=10`)).json()) as { total: number; items: { entity: string }[] };
    expect(sample.total).to.equal(large.perEntity.get('Jalisco'));
    expect(sample.items).to.have.length(10);
    const none = (await (await admin.get(`/api/v1/editions/${EDITION}/sample?invitation=none&limit=1`)).json()) as { total: number };
    expect(none.total).to.equal(4880);
    const invitations = (await (await admin.get(`/api/v1/editions/${EDITION}/invitations?state=active`)).json()) as { total: number; items: { state: string }[] };
    expect(invitations.total).to.equal(100);
    expect(invitations.items).to.have.length(50);
    expect(invitations.items.every((i) => i.state === 'active')).to.equal(true);
    expect((await admin.get(`/api/v1/editions/${EDITION}/invitations?state=lost`)).status).to.equal(400);
    const csv = await (await admin.get(`/api/v1/editions/${EDITION}/sample?invitation=active&format=csv`)).text();
    expect(csv.trim().split('\r\n')).to.have.length(101);
  });
});
