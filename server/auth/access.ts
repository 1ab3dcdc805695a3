/**
 * Who is calling and what they may touch. Every route that reads or changes an edition or an
 * institution asks here: admins everything; evaluators and viewers their assigned editions (and
 * viewers every published one, read-only); a respondent only its invitation's institution.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Types } from 'mongoose';
import { UserModel, type Role } from '../models/user.js';
import { InvitationModel } from '../models/invitation.js';
import { EditionModel } from '../models/edition.js';
import { HttpProblem } from '../http/problem.js';
import { isPublic } from '../services/editionLifecycle.js';
import type { Actor } from '../services/audit.js';
import { prefetchedInvitationCheck } from './savePrefetch.js';

export interface UserPrincipal {
  kind: 'user';
  id: string;
  email: string;
  name: string;
  role: Role;
  editions: string[];
}

export interface RespondentPrincipal {
  kind: 'respondent';
  invitationId: string;
  edition: string;
  institution: string;
}

export type Principal = UserPrincipal | RespondentPrincipal;

export const INVITATION_TOKEN_PREFIX = 'inv_';

export function newInvitationToken(): string {
  return INVITATION_TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The active invitation for a token, or undefined when unknown, revoked or expired. */
export async function activeInvitation(token: string) {
  if (typeof token !== 'string' || !token.startsWith(INVITATION_TOKEN_PREFIX) || token.length > 100) return undefined;
  const invitation = await InvitationModel.findOne({ tokenHash: tokenHash(token) }).lean();
  if (!invitation || invitation.revokedAt || invitation.expiresAt.getTime() <= Date.now()) return undefined;
  return invitation;
}

async function respondentFromInvitationId(invitationId: string): Promise<RespondentPrincipal | undefined> {
  if (!Types.ObjectId.isValid(invitationId)) return undefined;
  const invitation = await InvitationModel.findById(invitationId).lean();
  if (!invitation || invitation.revokedAt || invitation.expiresAt.getTime() <= Date.now()) return undefined;
  return { kind: 'respondent', invitationId: String(invitation._id), edition: invitation.edition, institution: String(invitation.institution) };
}

/**
 * The invitation behind a respondent's session is still valid (not revoked, not expired). The read
 * starts at once and is awaited by requireRespondent — or, on the background-save route
 * (requireRespondentLater), together with the save's own reads, so it costs no extra round trip.
 */
function startInvitationCheck(req: Request, res: Response, invitationId: string): Promise<boolean> {
  // A background save read its invitation together with its session (savePrefetch.ts).
  const check = prefetchedInvitationCheck(req, res, invitationId) ?? respondentFromInvitationId(invitationId).then((p) => Boolean(p));
  check.catch(() => undefined);
  return check;
}

/** Resolves the caller from a bearer invitation token or the session; sets res.locals.principal. */
export const loadPrincipal: RequestHandler = async (req, res, next) => {
  try {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) {
      const invitation = await activeInvitation(bearer);
      if (!invitation) throw new HttpProblem(401, 'Unauthorized', 'the invitation token is unknown, revoked or expired');
      res.locals.principal = { kind: 'respondent', invitationId: String(invitation._id), edition: invitation.edition, institution: String(invitation.institution) } satisfies RespondentPrincipal;
      return next();
    }
    if (req.session?.userId && Types.ObjectId.isValid(req.session.userId)) {
      const user = await UserModel.findById(req.session.userId).lean();
      if (user?.active) {
        res.locals.principal = { kind: 'user', id: String(user._id), email: user.email, name: user.name, role: user.role as Role, editions: user.editions } satisfies UserPrincipal;
      }
    } else if (req.session?.invitationId && req.session.respondent && Types.ObjectId.isValid(req.session.invitationId)) {
      res.locals.principal = { kind: 'respondent', invitationId: req.session.invitationId, edition: req.session.respondent.edition, institution: req.session.respondent.institution } satisfies RespondentPrincipal;
      res.locals.invitationCheck = startInvitationCheck(req, res, req.session.invitationId);
    } else if (req.session?.invitationId) {
      res.locals.principal = await respondentFromInvitationId(req.session.invitationId);
    }
    next();
  } catch (error) {
    next(error);
  }
};

export function principalOf(res: Response): Principal | undefined {
  return res.locals.principal as Principal | undefined;
}

/** 401 without credentials; 403 when the caller's role is not among `roles`. */
export function requireUser(...roles: Role[]): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    const principal = principalOf(res);
    if (!principal) return next(new HttpProblem(401, 'Unauthorized', 'sign in first'));
    if (principal.kind !== 'user' || (roles.length > 0 && !roles.includes(principal.role))) {
      return next(new HttpProblem(403, 'Forbidden', 'your account may not do this'));
    }
    next();
  };
}

const revoked = () => new HttpProblem(401, 'Unauthorized', 'the invitation is revoked or expired; open a new link', undefined, { code: 'invitation_invalid', message: 'Su liga de invitación ya no es válida: pida una nueva al equipo que coordina la evaluación.' });

/** The pending check of a session's invitation (undefined when the principal was read in full). */
export function invitationCheck(res: Response): Promise<void> {
  const check = res.locals.invitationCheck as Promise<boolean> | undefined;
  return check ? check.then((valid) => (valid ? undefined : Promise.reject(revoked()))) : Promise.resolve();
}

function respondentOrProblem(res: Response): HttpProblem | undefined {
  const principal = principalOf(res);
  if (!principal) return new HttpProblem(401, 'Unauthorized', 'open your invitation link first');
  if (principal.kind !== 'respondent') return new HttpProblem(403, 'Forbidden', 'only the invited institution answers this');
  return undefined;
}

export const requireRespondent: RequestHandler = (_req, res, next) => {
  const problem = respondentOrProblem(res);
  if (problem) return next(problem);
  invitationCheck(res).then(() => next(), next);
};

/**
 * For the background save: a respondent session, whose invitation check the route awaits together
 * with its own reads (before anything is written) through `invitationCheck(res)`.
 */
export const requireRespondentLater: RequestHandler = (_req, res, next) => {
  const problem = respondentOrProblem(res);
  next(problem);
};

export function currentUser(res: Response): UserPrincipal {
  const principal = principalOf(res);
  if (principal?.kind !== 'user') throw new HttpProblem(401, 'Unauthorized', 'sign in first');
  return principal;
}

/** A signed-in user as the audit trail names them. */
export function userActor(user: UserPrincipal): Actor {
  return { kind: 'user', id: user.id, label: `${user.name} <${user.email}>`, role: user.role };
}

export function currentRespondent(res: Response): RespondentPrincipal {
  const principal = principalOf(res);
  if (principal?.kind !== 'respondent') throw new HttpProblem(401, 'Unauthorized', 'open your invitation link first');
  return principal;
}

/**
 * The edition if the user may read it ('read': assigned, or any published one), read its internal
 * records such as the audit trail ('assigned'), or work on it ('write'); a 404 otherwise, so callers
 * cannot probe which editions exist.
 */
export async function editionForUser(user: UserPrincipal, editionId: string, mode: 'read' | 'assigned' | 'write') {
  const edition = /^[a-z0-9][a-z0-9-]{1,62}$/.test(editionId) ? await EditionModel.findOne({ editionId }).lean() : null;
  const assigned = user.role === 'admin' || user.editions.includes(editionId);
  const allowed = edition && (mode === 'read' ? assigned || isPublic(edition) : mode === 'assigned' ? assigned : assigned && user.role !== 'viewer');
  if (!allowed) throw new HttpProblem(404, 'Not Found', `edition "${editionId}" does not exist or is not yours`);
  return edition;
}
