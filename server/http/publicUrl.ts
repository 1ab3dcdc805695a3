/**
 * The address people use to reach the service, for links that leave it (invitation links in CSV files
 * and e-mails). Never taken from a request's Host header, which the client chooses:
 * - MGA_PUBLIC_URL when set (an http or https URL, checked at start);
 * - in production (NODE_ENV=production) without it, links are refused with a clear error;
 * - in development, the address the service itself listens on (set once it listens).
 */
import { HttpProblem } from './problem.js';

let listenUrl: string | undefined;

/** MGA_PUBLIC_URL without its trailing slash; throws at start when it is not an http(s) URL. */
export function configuredPublicUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env.MGA_PUBLIC_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`MGA_PUBLIC_URL must be an http or https URL such as https://mga.example.org, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`MGA_PUBLIC_URL must start with http:// or https://, got "${raw}"`);
  if (url.search || url.hash) throw new Error(`MGA_PUBLIC_URL must not carry a query or fragment, got "${raw}"`);
  return url.toString().replace(/\/$/, '');
}

/** The service's own listen address (http://localhost:PORT), the development fallback. */
export function setListenUrl(url: string): void {
  listenUrl = url.replace(/\/$/, '');
}

/** Base of links that leave the service; see the module comment for the order. */
export function publicBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const configured = configuredPublicUrl(env);
  if (configured) return configured;
  if (env.NODE_ENV === 'production') {
    throw new HttpProblem(500, 'Internal Server Error', 'MGA_PUBLIC_URL is not set: in production, invitation links need the public address of the service (e.g. MGA_PUBLIC_URL=https://mga.example.org); set it and restart', undefined, {
      code: 'public-url-not-configured',
      message: 'El servicio no tiene configurada su dirección pública, así que no puede emitir ligas de invitación. Pida a quien administra el servidor que defina MGA_PUBLIC_URL.',
    });
  }
  if (!listenUrl) throw new Error('the listen address is not known yet (the service is not listening)');
  return listenUrl;
}
