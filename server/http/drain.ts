/**
 * Graceful stop of the HTTP server: stop accepting connections, let every request in flight finish
 * (keep-alive connections are closed as soon as they fall idle, and responses written meanwhile ask
 * the client to close), and only after a grace period drop what is left.
 */
import type { Server } from 'node:http';

export interface Drainer {
  /** Requests being handled now. */
  inFlight(): number;
  /** Resolves when every request in flight has been answered, or after `graceMs` (then the rest are dropped). */
  drain(graceMs: number): Promise<{ dropped: number; ms: number }>;
}

export function drainer(server: Server): Drainer {
  let active = 0;
  let draining = false;
  server.on('request', (_req, res) => {
    active++;
    // Once draining, the response closes its connection after it is sent.
    if (draining) res.shouldKeepAlive = false;
    res.once('close', () => active--);
  });
  return {
    inFlight: () => active,
    drain: (graceMs) =>
      new Promise((resolve) => {
        const started = Date.now();
        draining = true;
        const idle = setInterval(() => server.closeIdleConnections(), 50);
        const grace = setTimeout(() => {
          const dropped = active;
          server.closeAllConnections();
          finish(dropped);
        }, graceMs);
        let finished = false;
        const finish = (dropped: number) => {
          if (finished) return;
          finished = true;
          clearInterval(idle);
          clearTimeout(grace);
          resolve({ dropped, ms: Date.now() - started });
        };
        server.close(() => finish(0));
        server.closeIdleConnections();
      }),
  };
}
