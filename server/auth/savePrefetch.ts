/**
 * A background save reads, in one database command, what three separate reads gave it before: its
 * session, the session's invitation (still valid?) and the invitation's edition (still collecting?).
 * One aggregation on the sessions collection joins the other two ($lookup), so a save costs two
 * commands (this read and its conditional write) instead of four.
 *
 * Nothing is decided here and nothing is skipped: express-session still loads the session (its
 * store's get is answered from this read, see PrefetchingStore), loadPrincipal still checks the
 * invitation, and the save still checks the edition — from the joined documents, which are the
 * very documents the separate reads would have returned. Only POST /responder/borrador with a
 * correctly signed session cookie takes this path; anything else reads as before.
 */
import cookie from 'cookie';
import { unsign } from 'cookie-signature';
import type { Request, RequestHandler, Response } from 'express';
import MongoStore from 'connect-mongo';
import type { SessionData } from 'express-session';
import mongoose, { Types } from 'mongoose';
import type { loadEdition } from '../services/editionLifecycle.js';

export const SAVE_PATH = '/responder/borrador';

type Edition = Awaited<ReturnType<typeof loadEdition>>;

interface JoinedInvitation {
  _id: Types.ObjectId;
  edition: string;
  institution: Types.ObjectId;
  expiresAt: Date;
  revokedAt?: Date | null;
}

/** The session document as connect-mongo stores it (stringify: false), with the joined documents. */
interface JoinedSession {
  _id: string;
  session: Record<string, unknown> & { invitationId?: string; respondent?: { edition: string; institution: string } };
  lastModified?: Date;
  invitation: JoinedInvitation[];
  edition: Edition[];
}

interface SavePrefetch {
  sid: string;
  read: Promise<JoinedSession | null>;
}

/**
 * The prefetch of the request express-session is handling right now: express-session asks its store
 * for the session synchronously, inside its middleware call (index.js: store.get right after reading
 * the cookie), so the hand-over needs no async context — it is set just around that call.
 */
let handingOver: SavePrefetch | undefined;

/** The session id of a request's signed cookie, as express-session reads it (undefined when absent or forged). */
function sessionIdOf(req: Request, name: string, secret: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  const raw = cookie.parse(header)[name];
  if (!raw?.startsWith('s:')) return undefined;
  const sid = unsign(raw.slice(2), secret);
  return sid === false ? undefined : sid;
}

function joinedRead(collection: string, sid: string): Promise<JoinedSession | null> {
  const read = mongoose.connection
    .collection(collection)
    .aggregate<JoinedSession>([
      // connect-mongo's own filter for a live session.
      { $match: { _id: sid as never, $or: [{ expires: { $exists: false } }, { expires: { $gt: new Date() } }] } },
      { $addFields: { invitationOid: { $convert: { input: '$session.invitationId', to: 'objectId', onError: null, onNull: null } } } },
      { $lookup: { from: 'invitations', localField: 'invitationOid', foreignField: '_id', as: 'invitation' } },
      { $lookup: { from: 'editions', localField: 'session.respondent.edition', foreignField: 'editionId', as: 'edition' } },
    ])
    .next();
  read.catch(() => undefined);
  return read;
}

/**
 * express-session around the prefetch: for a background save carrying a signed session cookie, the
 * joined read starts first and is handed to the store while express-session asks it for the session.
 */
export function withSavePrefetch(sessionHandler: RequestHandler, options: { cookieName: string; secret: string; collection: string }): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'POST' || req.path !== SAVE_PATH) return sessionHandler(req, res, next);
    const sid = sessionIdOf(req, options.cookieName, options.secret);
    if (!sid) return sessionHandler(req, res, next);
    const prefetch: SavePrefetch = { sid, read: joinedRead(options.collection, sid) };
    res.locals.savePrefetch = prefetch;
    handingOver = prefetch;
    try {
      sessionHandler(req, res, next);
    } finally {
      handingOver = undefined;
    }
  };
}

/** connect-mongo's store, answering `get` from the request's joined read when there is one for that session. */
export class PrefetchingStore extends MongoStore {
  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    const prefetch = handingOver;
    handingOver = undefined;
    if (prefetch?.sid !== sid) return super.get(sid, callback);
    prefetch.read.then(
      (doc) => {
        if (!doc) return callback(null, null);
        // As connect-mongo's get does with touchAfter: the stored lastModified rides along.
        const session = { ...doc.session, ...(doc.lastModified && { lastModified: doc.lastModified }) };
        callback(null, session as unknown as SessionData);
      },
      (error: unknown) => callback(error),
    );
  }
}

function prefetchOf(res: Response): SavePrefetch | undefined {
  return res.locals.savePrefetch as SavePrefetch | undefined;
}

/**
 * Whether the session's invitation is still valid (not revoked, not expired), from the joined read
 * (undefined when this request has none, or it is about another session or invitation).
 */
export function prefetchedInvitationCheck(req: Request, res: Response, invitationId: string): Promise<boolean> | undefined {
  const prefetch = prefetchOf(res);
  if (!prefetch || prefetch.sid !== req.sessionID) return undefined;
  return prefetch.read.then((doc) => {
    const invitation = doc?.invitation[0];
    if (!invitation || String(invitation._id) !== invitationId) return false;
    return !invitation.revokedAt && invitation.expiresAt.getTime() > Date.now();
  });
}

/**
 * The session's edition from the joined read, when this request has one (its promise resolves to
 * undefined when the joined edition is not `editionId`'s: the caller then reads it).
 */
export function prefetchedEdition(req: Request, res: Response, editionId: string): Promise<Edition | undefined> | undefined {
  const prefetch = prefetchOf(res);
  if (!prefetch || prefetch.sid !== req.sessionID) return undefined;
  return prefetch.read.then((doc) => {
    const edition = doc?.edition[0];
    return edition?.editionId === editionId ? edition : undefined;
  });
}
