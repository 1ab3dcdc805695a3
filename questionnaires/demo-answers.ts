/**
 * A realistic, complete answer set for each built-in instrument (a municipality in 2016 fieldwork),
 * for the demo command and browser tests. Both sets pass validateAnswers in submit mode; the values
 * they give are worked out by hand in test/questionnaires/scoring.test.ts.
 */
import type { BuiltinInstrumentId } from './definition.js';
import type { Answers, InstitutionContext } from './resolve.js';

export const DEMO_INSTITUTION: InstitutionContext = { type: 'Municipio', level: 'Municipal' };

const PORTAL = 'https://transparencia.municipio.example';

export const DEMO_GOVERNMENT_ANSWERS: Answers = {
  aiUnit: 'yes',
  'aiUnit:evidence': `${PORTAL}/acuerdos/creacion-unidad-transparencia.pdf`,
  aiHead: 'yes',
  aiStaffCount: 3,
  aiStaffing: 'one_full_time',
  aiElectronicSystem: 'yes',
  aiChannels: ['pnt', 'email', 'in_person'],
  aiProcedure: 'yes',
  'aiProcedure:evidence': `${PORTAL}/normatividad/lineamientos-solicitudes.pdf`,
  aiCommittee: 'yes',
  aiTraining: 'no',
  aiRequestsLastYear: 412,
  trObligations: [
    'legal_framework',
    'structure',
    'powers',
    'directory',
    'salaries',
    'transparency_unit',
    'services',
    'budget',
    'audits',
    'procurement',
    'assets',
    'participation',
    'development_plan',
  ],
  'trObligations:evidence': `${PORTAL}/obligaciones/articulo-70`,
  tpPublishes: 'yes',
  tpKinds: ['frequent_requests', 'visualisations'],
  tpOutreach: 'no',
  tpUrl: `${PORTAL}/transparencia-proactiva`,
  daPublishes: 'yes',
  daDatasetCount: 4,
  daOpenFormats: 'yes',
  daLicence: 'no',
  daMachineReadable: 'yes',
  daUpdated: 'no',
  daCatalogueUrl: `${PORTAL}/datos`,
  pgMechanisms: 'yes',
  pgMechanismKinds: ['advisory_council', 'consultation'],
  pgMechanismName: 'Consejo Municipal de Participación Ciudadana',
  pgActors: 'open_call',
  'pgActors:evidence': `${PORTAL}/participacion/convocatoria-consejo-2016.pdf`,
  pgOperates: 'yes',
  pgEvidence: [`${PORTAL}/participacion/acta-sesion-2016-06.pdf`, `${PORTAL}/participacion/acta-sesion-2016-09.pdf`],
  pgLastSession: '2016-09-14',
  pgFormat: 'consultative',
  pgFollowUp: 'no',
  generalComments: 'El Consejo sesiona de forma trimestral; las actas se publican en el portal.',
};

export const DEMO_CITIZEN_ANSWERS: Answers = {
  requests: [
    {
      topic: 'Número de plazas del personal de seguridad pública y su remuneración mensual en 2016.',
      folio: '00123416',
      channel: 'pnt',
      dateFiled: '2016-08-01',
      answered: 'yes',
      dateAnswered: '2016-08-22',
      'dateAnswered:evidence': `${PORTAL}/respuestas/00123416.pdf`,
      delivered: 'yes',
      complete: 'yes',
      clear: 'yes',
    },
    {
      topic: 'Contratos de recolección de basura vigentes y sus montos.',
      folio: '00123516',
      channel: 'pnt',
      dateFiled: '2016-08-01',
      answered: 'yes',
      dateAnswered: '2016-09-12',
      delivered: 'yes',
      complete: 'no',
      clear: 'yes',
      requestNotes: 'Entregaron dos de los cinco contratos.',
    },
    {
      topic: 'Estudios de impacto ambiental del relleno sanitario.',
      folio: '00123616',
      channel: 'pnt',
      dateFiled: '2016-08-02',
      deadlineDays: 30,
      answered: 'yes',
      dateAnswered: '2016-09-06',
      delivered: 'no',
      requestNotes: 'Se notificó ampliación de plazo; la respuesta declaró inexistencia.',
    },
    {
      topic: 'Bitácora de mantenimiento del alumbrado público en 2016.',
      folio: '00123716',
      channel: 'email',
      dateFiled: '2016-08-02',
      answered: 'no',
    },
  ],
  proposals: [
    {
      contactMethod: 'web_form',
      'contactMethod:evidence': `${PORTAL}/contacto`,
      dateSent: '2016-08-03',
      proposal: 'Publicar en datos abiertos el padrón de comercio en vía pública.',
      receiptAcknowledged: 'yes',
      receiptChannel: 'email',
      mechanismActivated: 'no',
      responded: 'yes',
      dateResponse: '2016-09-21',
    },
  ],
};

export const DEMO_ANSWERS: Readonly<Record<BuiltinInstrumentId, Answers>> = {
  'mga-2017-gobierno': DEMO_GOVERNMENT_ANSWERS,
  'mga-2017-ciudadano': DEMO_CITIZEN_ANSWERS,
};
