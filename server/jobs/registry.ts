/** The job kinds this process knows, by name: those listed in kinds.ts, and any a test registers. */
import type { JobKind } from './kind.js';

const kinds = new Map<string, JobKind<unknown>>();

export function registerJobKind<P, I>(kind: JobKind<P, I>): void {
  kinds.set(kind.kind, kind as unknown as JobKind<unknown>);
}

export function jobKind(name: string): JobKind<unknown> | undefined {
  return kinds.get(name);
}

export function jobKinds(): JobKind<unknown>[] {
  return [...kinds.values()];
}
