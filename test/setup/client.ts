/** A small cookie-keeping HTTP client for tests (fetch does not keep cookies). */
import { createUser } from '../../server/auth/users.js';
import type { Role } from '../../server/models/user.js';

export class Client {
  /** Cookie name → value, as the server set them (tests may change one). */
  readonly cookies = new Map<string, string>();
  csrfToken?: string;
  bearer?: string;

  constructor(readonly baseUrl: string) {}

  /** The Cookie header this client would send (for requests made without it, e.g. through node:http). */
  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, options: { json?: unknown; form?: Record<string, string | string[]>; body?: BodyInit; headers?: Record<string, string>; csrf?: boolean } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    let body = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    if (options.form) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(options.form)) for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
      if (options.csrf !== false && this.csrfToken && !params.has('_csrf')) params.append('_csrf', this.csrfToken);
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = params.toString();
    } else if (options.csrf !== false && this.csrfToken && !['GET', 'HEAD'].includes(method)) {
      headers['x-csrf-token'] = this.csrfToken;
    }
    const res = await fetch(this.baseUrl + path, { method, headers, body, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const [name, ...value] = pair!.split('=');
      this.cookies.set(name!.trim(), value.join('='));
    }
    return res;
  }

  get = (path: string, headers?: Record<string, string>) => this.request('GET', path, { headers });

  /** Fetches a page and keeps the CSRF token of its first form. */
  async page(path: string): Promise<string> {
    const res = await this.get(path, { accept: 'text/html' });
    const html = await res.text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (token) this.csrfToken = token;
    return html;
  }

  async apiLogin(email: string, password: string): Promise<void> {
    const res = await this.request('POST', '/api/v1/auth/login', { json: { email, password } });
    if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
    this.csrfToken = ((await res.json()) as { csrfToken: string }).csrfToken;
  }
}

let counter = 0;
export const TEST_PASSWORD = 'correct horse battery';

export async function makeUser(role: Role, editions: string[] = []) {
  counter += 1;
  const email = `${role}${counter}@example.org`;
  await createUser({ email, name: `${role} ${counter}`, role, password: TEST_PASSWORD, editions });
  return { email, password: TEST_PASSWORD };
}

export async function loggedIn(baseUrl: string, role: Role, editions: string[] = []): Promise<Client> {
  const user = await makeUser(role, editions);
  const client = new Client(baseUrl);
  await client.apiLogin(user.email, user.password);
  return client;
}
