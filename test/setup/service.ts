/** The real service process (`server/main.ts`) for tests of its lifecycle, outages and scale-out. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface Service {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

export interface StartOptions {
  args?: string[];
  /** Its own process group (detached), so a test can signal the group as a terminal's Ctrl-C does. */
  ownGroup?: boolean;
}

/** Starts `server/main.ts` and resolves once it listens; rejects with its output if it exits first. */
export function startService(env: Record<string, string>, options: StartOptions = {}): Promise<Service> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', ...(options.args ?? [])], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownGroup ?? false,
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/localhost:\d+)/.exec(output);
      if (match) resolve({ child, url: match[1]!, output: () => output, exit });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    void exit.then((code) => reject(new Error(`service exited with ${code} before listening:\n${output}`)));
  });
}

/** Stops a service if it still runs (SIGTERM), waiting for it to exit. */
export async function stopService(service: Service | undefined): Promise<void> {
  if (!service || service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  await service.exit;
}
