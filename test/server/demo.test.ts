import { expect } from 'chai';
import { AssignmentModel } from '../../server/models/assignment.js';
import { useTestDatabase } from '../setup/database.js';
import { seedDemo, DEMO_EDITION } from '../../server/services/demo.js';
import { activeInvitation } from '../../server/auth/access.js';
import { ResponseModel } from '../../server/models/response.js';
import { ScoreModel } from '../../server/models/result.js';
import { UserModel } from '../../server/models/user.js';
import { verifyPassword } from '../../server/auth/passwords.js';
import { DEMO_SCORE } from '../questionnaires/demoScore.js';

describe('npm run demo: the pilot edition (real MongoDB)', function () {
  this.timeout(60_000);
  before(() => useTestDatabase('demo'));

  it('creates the pilot edition with institutions at every stage, accounts and working links', async () => {
    const summary = await seedDemo('http://localhost:3000');
    expect(summary.created).to.equal(true);
    expect(summary.invitations).to.have.length(6);
    const statuses = (await ResponseModel.find({ edition: DEMO_EDITION, 'questionnaire.id': 'mga-2017-gobierno' }).lean()).map((r) => r.status).sort();
    expect(statuses).to.deep.equal(['approved', 'draft', 'returned', 'submitted']);
    const scores = await ScoreModel.find({ edition: DEMO_EDITION }).lean();
    expect(scores).to.have.length(1);
    expect((scores[0]!.nodes as Record<string, { value: number }>).GA!.value).to.be.closeTo(DEMO_SCORE.GA, 1e-9);
    const evaluator = summary.accounts.find((a) => a.role === 'evaluator')!;
    const user = await UserModel.findOne({ email: evaluator.email }).lean();
    expect(await verifyPassword(user!.passwordHash, evaluator.password)).to.equal(true);
    expect(await activeInvitation(summary.invitations[0]!.link.split('/').pop()!)).to.not.equal(undefined);
    // Its evaluator works on every institution of the pilot.
    expect(await AssignmentModel.countDocuments({ edition: DEMO_EDITION, evaluator: user!._id })).to.equal(6);
  });

  it('a second run keeps the edition, and gives new passwords and links that replace the old ones', async () => {
    const before = await ResponseModel.countDocuments();
    const first = (await UserModel.findOne({ role: 'admin' }).lean())!.passwordHash;
    const summary = await seedDemo('http://localhost:3000');
    expect(summary.created).to.equal(false);
    expect(await ResponseModel.countDocuments()).to.equal(before);
    expect((await UserModel.findOne({ role: 'admin' }).lean())!.passwordHash).to.not.equal(first);
    expect(summary.invitations).to.have.length(6);
    expect(await AssignmentModel.countDocuments({ edition: DEMO_EDITION })).to.equal(6);
  });
});
