/** The JSON API under /api/v1 and its OpenAPI document, built from one registry of operations. */
import { ApiRegistry, openApiDocument } from '../http/api.js';
import { registerResultsApi } from './editions.js';
import { registerAuthApi } from './auth.js';
import { registerAdminApi } from './admin.js';
import { registerEditionAdminApi } from './editionAdmin.js';
import { registerRespondentApi } from './respondApi.js';
import { registerReviewApi } from './reviewApi.js';
import { registerQueueApi } from './queue.js';
import { registerAssignmentsApi } from './assignments.js';
import { registerAuditApi } from './audit.js';
import { institutionGate, publicInstitutionOperations } from '../services/assignments.js';
import { registerAccountsApi } from './accounts.js';
import { registerReportsApi } from './reports.js';
import { registerCrosswalksApi } from './crosswalks.js';
import { registerEvolutionApi } from './evolution.js';
import { registerResearchApi } from './research.js';
import { registerJobsApi } from './jobs.js';
import { registerEvidenceApi } from './evidence.js';
import { registerMailApi } from './mail.js';
import { registerInstitutionAdminApi } from './institutionAdmin.js';
import { registerEditionDetailsApi } from './editionDetails.js';

export function apiRegistry(): ApiRegistry {
  const api = new ApiRegistry();
  // Evaluators reach an institution's private records only when assigned to it (before any route).
  const institutionPrefix = '/editions/:edition/institutions/:id';
  api.router.use(institutionPrefix, institutionGate(publicInstitutionOperations(api.operations, institutionPrefix)));
  registerAuthApi(api);
  registerResultsApi(api);
  registerAdminApi(api);
  registerEditionAdminApi(api);
  registerRespondentApi(api);
  registerQueueApi(api);
  registerAssignmentsApi(api);
  registerAuditApi(api);
  registerReviewApi(api);
  registerAccountsApi(api);
  registerReportsApi(api);
  registerCrosswalksApi(api);
  registerEvolutionApi(api);
  registerResearchApi(api);
  registerJobsApi(api);
  registerEvidenceApi(api);
  registerMailApi(api);
  registerInstitutionAdminApi(api);
  registerEditionDetailsApi(api);
  let document: object | undefined;
  api.add({ method: 'get', path: '/openapi.json', summary: 'This OpenAPI 3 document', tag: 'meta', public: true, responses: { 200: { description: 'the OpenAPI 3.0 document of every operation', schema: { type: 'object', required: ['openapi', 'info', 'paths'], properties: { openapi: { type: 'string' }, info: { type: 'object' }, paths: { type: 'object' } } } } } }, (_req, res) => {
    document ??= openApiDocument(api.operations);
    res.json(document);
  });
  return api;
}
