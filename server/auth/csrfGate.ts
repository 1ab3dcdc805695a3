import type { RequestHandler } from 'express';
import { csrf, hasBearerToken } from './session.js';
import { principalOf } from './access.js';
import { isEvidenceUpload } from '../routes/evidence.js';

/**
 * CSRF checks guard the authority a cookie carries. Bearer-token calls carry none; an API call
 * with no signed-in session has none either, and its route answers 401 (the JSON login accepts
 * only application/json, which a cross-site form cannot send). Everything else needs the token.
 */
export const csrfUnlessUnauthenticatedApi: RequestHandler = (req, res, next) => {
  if (hasBearerToken(req)) return next();
  // Evidence uploads are parsed after this gate; `receiveEvidence` checks their token once the form is read.
  if (isEvidenceUpload(req)) return next();
  if (req.path.startsWith('/api/') && !principalOf(res)) return next();
  csrf.csrfSynchronisedProtection(req, res, next);
};
