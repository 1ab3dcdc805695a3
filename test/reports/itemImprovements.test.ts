import { expect } from 'chai';
import { improvementGaps, itemImprovements } from '../../reports/data.js';
import { variablesFromAnswers } from '../../questionnaires/answers.js';
import { loadBuiltinMethodology } from '../../questionnaires/methodologies.js';
import { compileMethodology, scoreInstitution } from '../../scoring/engine.js';
import { loadInstrument } from '../../questionnaires/engine.js';
import { DEMO_ANSWERS, DEMO_INSTITUTION } from '../../questionnaires/demo-answers.js';
import { useTestDatabase } from '../setup/database.js';
import { createPilot } from '../setup/pilot.js';
import { approveResponse, editionInstrument, saveCitizenLogs, submitAnswers } from '../../server/services/responses.js';
import { institutionReportPdf } from '../../server/services/reports.js';
import { closeBrowser } from '../../reports/browser.js';
import { readPdfText } from '../setup/pdfText.js';

describe('institution card: the questionnaire items that would raise the index most', function () {
  this.timeout(120_000);

  it('ranks items by share in their variable × the variable\'s weight in the index × (1 − score)', () => {
    const government = loadInstrument('mga-2017-gobierno');
    const citizen = loadInstrument('mga-2017-ciudadano');
    const variables = variablesFromAnswers([government, citizen], DEMO_ANSWERS, { institution: DEMO_INSTITUTION });
    const methodology = compileMethodology(loadBuiltinMethodology('mga-2017'));
    const score = scoreInstitution(methodology, variables.values);
    const values = Object.fromEntries(Object.entries(score.nodes).map(([id, s]) => [id, s.value]));
    const items = itemImprovements({ explanation: variables.explanation, labels: { pgFollowUp: '¿Da seguimiento?' } }, improvementGaps(values, methodology), 100);
    // PG.Seg weighs 0.3 in PG, PG 0.25 in the index; its only item, pgFollowUp, scores 0.
    const followUp = items.find((i) => i.item === 'pgFollowUp')!;
    expect(followUp.gain).to.be.closeTo(0.3 * 0.25, 1e-12);
    expect(followUp.label).to.equal('¿Da seguimiento?');
    expect(items[0]!.gain).to.be.closeTo(0.075, 1e-12);
    // aiTraining: one of 8 equal items of TG.AI (0.5 in TG, TG 0.25 in the index), scored 0.
    expect(items.find((i) => i.item === 'aiTraining')!.gain).to.be.closeTo((0.5 * 0.25) / 8, 1e-12);
    expect(items.every((i, k) => k === 0 || items[k - 1]!.gain >= i.gain)).to.equal(true);
    expect(items.map((i) => i.rank)).to.deep.equal(items.map((_, k) => k + 1));
  });

  it('appears in the PDF card of an institution scored from its approved answers', async () => {
    await useTestDatabase('card_items');
    const pilot = await createPilot('piloto-fichas');
    const id = pilot.institutions[0]!.id;
    const own = await editionInstrument(pilot.editionId, 'institution');
    const logs = await editionInstrument(pilot.editionId, 'evaluator');
    const actor = { kind: 'user' as const, id: 'test', label: 'test', role: 'evaluator' as const };
    await submitAnswers(pilot.editionId, id, own, DEMO_ANSWERS['mga-2017-gobierno'], { actor, editableIn: ['draft'] });
    await approveResponse(pilot.editionId, id, own, { actor });
    await saveCitizenLogs(pilot.editionId, id, logs, DEMO_ANSWERS['mga-2017-ciudadano'], { actor, complete: true });
    const file = await institutionReportPdf(pilot.editionId, id, { publishedOnly: false });
    const { layout: text } = await readPdfText(file.body);
    expect(text).to.include('Preguntas de su cuestionario que más elevarían su índice');
    expect(text).to.match(/seguimiento/i);
    await closeBrowser();
  });
});
