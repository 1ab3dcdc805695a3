/**
 * A background save reads its session, the session's invitation and its edition in one database
 * command (server/auth/savePrefetch.ts). That read only replaces the separate reads: a revoked
 * invitation, a closed edition, an expired or unknown session and a forged cookie are refused as
 * before, and the session itself (its CSRF token, its expiry) behaves as before. Real MongoDB
 * (its profiler counts the commands), through HTTP.
 */
import { expect } from 'chai';
import mongoose from 'mongoose';
import { InvitationModel } from '../../../server/models/invitation.js';
import { changeStatus } from '../../../server/services/editionLifecycle.js';
import { SYSTEM_ACTOR } from '../../../server/services/audit.js';
import { SESSION_COLLECTION } from '../../../server/auth/session.js';
import { useTestDatabase } from '../../setup/database.js';
import { startTestServer, type TestServer } from '../../setup/http.js';
import { createPilot, manyMunicipalities, type Pilot } from '../../setup/pilot.js';
import { json, pageRespondent, stored, type Problem } from '../../setup/workflow.js';

type Respondent = Awaited<ReturnType<typeof pageRespondent>>;

const save = (r: Respondent, revision: number, staff: number, headers: Record<string, string> = {}) =>
  r.client.request('POST', '/responder/borrador', { form: { aiUnit: 'yes', aiStaffCount: String(staff), baseRevision: String(revision) }, headers: { accept: 'application/json', ...headers } });

/** The commands the database ran on the sessions, invitations, editions and responses collections during `work`. */
async function commandsDuring(work: () => Promise<void>): Promise<{ op: string; collection: string }[]> {
  const db = mongoose.connection.db!;
  await db.command({ profile: 0 });
  await db.collection('system.profile').drop().catch(() => undefined);
  await db.command({ profile: 2 });
  try {
    await work();
  } finally {
    await db.command({ profile: 0 });
  }
  const watched = new Set([SESSION_COLLECTION, 'invitations', 'editions', 'responses']);
  const entries = await db.collection('system.profile').find({}).toArray();
  return entries
    .map((e) => ({ op: String(e.op === 'command' ? Object.keys(e.command ?? {})[0] : e.op), collection: String(e.ns).split('.').slice(1).join('.') }))
    .filter((e) => watched.has(e.collection));
}

describe('workflow: a background save reads its session, invitation and edition at once (real MongoDB)', function () {
  this.timeout(120_000);
  let server: TestServer;
  let pilot: Pilot;
  let next = 0;
  const institution = () => pilot.institutions[next++]!;

  before(async () => {
    await useTestDatabase('workflow_save_prefetch');
    server = await startTestServer();
    pilot = await createPilot('piloto-lectura-unica', manyMunicipalities(8));
  });
  after(() => server.close());

  it('a save is one read (sessions, joined with its invitation and edition) and one write', async () => {
    const inst = institution();
    const me = await pageRespondent(server.url, inst.token);
    expect((await save(me, me.revision, 1)).status).to.equal(200);
    const commands = await commandsDuring(async () => {
      const res = await save(me, me.revision + 1, 2);
      expect(res.status).to.equal(200);
      expect((await json(res)).revision).to.equal(me.revision + 2);
    });
    expect(commands, JSON.stringify(commands)).to.deep.equal([
      { op: 'aggregate', collection: SESSION_COLLECTION },
      { op: 'findAndModify', collection: 'responses' },
    ]);
    expect((await stored(inst.id))!.answers).to.deep.equal({ aiUnit: 'yes', aiStaffCount: 2 });
  });

  it('a revoked invitation is refused, and nothing is stored', async () => {
    const inst = institution();
    const me = await pageRespondent(server.url, inst.token);
    await InvitationModel.updateMany({ institution: inst.id }, { $set: { revokedAt: new Date() } });
    const res = await save(me, me.revision, 3);
    expect(res.status).to.equal(401);
    expect((await json<Problem>(res)).code).to.equal('invitation_invalid');
    expect(await stored(inst.id)).to.equal(null);
  });

  it('an expired invitation is refused', async () => {
    const inst = institution();
    const me = await pageRespondent(server.url, inst.token);
    await InvitationModel.updateMany({ institution: inst.id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
    expect((await save(me, me.revision, 3)).status).to.equal(401);
    expect(await stored(inst.id)).to.equal(null);
  });

  it('an edition no longer collecting refuses the save, and nothing is stored', async () => {
    const inst = institution();
    const me = await pageRespondent(server.url, inst.token);
    await changeStatus(pilot.editionId, 'review', { actor: SYSTEM_ACTOR });
    try {
      const res = await save(me, me.revision, 3);
      expect(res.status).to.equal(409);
      expect((await json<Problem>(res)).code).to.equal('edition_state');
      expect(await stored(inst.id)).to.equal(null);
    } finally {
      await changeStatus(pilot.editionId, 'collecting', { actor: SYSTEM_ACTOR, reason: 'prueba' });
    }
    expect((await save(me, me.revision, 4)).status, 'open again').to.equal(200);
  });

  it('an ended session, a forged cookie or a missing CSRF token get no save', async () => {
    const inst = institution();
    const me = await pageRespondent(server.url, inst.token);
    const cookie = me.client.cookies.get('mga.sid')!;
    // A cookie whose signature does not match: as if there were no session.
    me.client.cookies.set('mga.sid', cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')));
    expect((await save(me, me.revision, 5)).status).to.be.oneOf([401, 403]);
    me.client.cookies.set('mga.sid', cookie);
    // No CSRF token: refused as before.
    const noToken = await me.client.request('POST', '/responder/borrador', { form: { aiUnit: 'yes', baseRevision: String(me.revision) }, headers: { accept: 'application/json' }, csrf: false });
    expect(noToken.status).to.equal(403);
    // The session ended (removed from the store): no respondent any more.
    await mongoose.connection.collection(SESSION_COLLECTION).deleteMany({ 'session.invitationId': { $exists: true }, 'session.respondent.institution': inst.id });
    expect((await save(me, me.revision, 6)).status).to.be.oneOf([401, 403]);
    expect(await stored(inst.id)).to.equal(null);
  });

  it('the session keeps working across many saves: the CSRF token stays valid and the stored session is unchanged by a save', async () => {
    const inst = institution();
    const me = await pageRespondent(server.url, inst.token);
    const sessions = mongoose.connection.collection(SESSION_COLLECTION);
    const before = await sessions.findOne({ 'session.respondent.institution': inst.id });
    expect(before, 'the session is stored').to.not.equal(null);
    for (let i = 0; i < 10; i++) expect((await save(me, me.revision + i, i + 1)).status, `save ${i + 1}`).to.equal(200);
    const after = await sessions.findOne({ _id: before!._id });
    expect(after!.session).to.deep.equal(before!.session);
    // And the page still opens with the same session.
    expect(await me.client.page('/responder/todas')).to.include('name="baseRevision" value="10"');
  });
});
