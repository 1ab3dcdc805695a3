/**
 * Recognises the MongoDB driver's (and mongoose's) ways of saying "the database cannot be reached
 * now", so that the problem handler answers 503 instead of 500, and tells whether a write may have
 * reached the database before the connection failed.
 */
import mongoose from 'mongoose';

const { mongo } = mongoose;

/** Server error codes meaning the server is going away, stepping down or unreachable from its side. */
const UNAVAILABLE_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Errors raised before anything was sent: whatever the request was, nothing of it was written by this operation. */
function notSent(error: Error): boolean {
  return (
    error instanceof mongo.MongoServerSelectionError ||
    error instanceof mongo.MongoNotConnectedError ||
    error instanceof mongo.MongoTopologyClosedError ||
    error instanceof mongo.MongoClientClosedError ||
    error.name === 'MongoPoolClearedError' ||
    error.name === 'MongoPoolClosedError' ||
    error.name === 'MongoWaitQueueTimeoutError' ||
    error instanceof mongoose.Error.MongooseServerSelectionError ||
    // mongoose with bufferCommands: false before a connection exists.
    (error.name === 'MongooseError' && /before initial connection is complete|buffering timed out/.test(error.message))
  );
}

export interface DatabaseFailure {
  /** The operation may have been applied before the connection failed (a write's outcome is unknown). */
  mayHaveBeenApplied: boolean;
  cause: Error;
}

/** Walks `cause` chains too: a library may wrap the driver's error in its own. */
export function databaseFailure(error: unknown): DatabaseFailure | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const labelled = e as Error & { hasErrorLabel?: (label: string) => boolean; code?: unknown };
    if (notSent(e)) return { mayHaveBeenApplied: false, cause: e };
    if (e instanceof mongo.MongoNetworkError || e instanceof mongo.MongoOperationTimeoutError) {
      return { mayHaveBeenApplied: !labelled.hasErrorLabel?.('NoWritesPerformed'), cause: e };
    }
    if (e instanceof mongo.MongoServerError && typeof labelled.code === 'number' && UNAVAILABLE_CODES.has(labelled.code)) {
      return { mayHaveBeenApplied: labelled.code === 91 || labelled.code === 11600 || labelled.code === 11602, cause: e };
    }
    if (labelled.hasErrorLabel?.('UnknownTransactionCommitResult')) return { mayHaveBeenApplied: true, cause: e };
  }
  return undefined;
}
