import type { Express } from 'express';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../server/app.js';
import { createLogger } from '../../server/logger.js';
import { setListenUrl } from '../../server/http/publicUrl.js';

export interface TestServer {
  url: string;
  close(): Promise<void>;
}

export async function listen(app: Express): Promise<TestServer> {
  const server = app.listen(0);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  // As the service does once it listens: links that leave it (invitations) use this address.
  setListenUrl(`http://127.0.0.1:${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function startTestServer(): Promise<TestServer> {
  return listen(createApp({ logger: createLogger(process.env.LOG_LEVEL || 'silent'), session: { secret: randomBytes(16).toString('hex'), secureCookies: false } }));
}
