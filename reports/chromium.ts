/**
 * Which Chromium prints the PDFs, chosen like the embedded database's mongod (server/db/mongodBinary.ts):
 * 1. CHROMIUM_PATH, when set (it must exist: an explicit choice is never second-guessed);
 * 2. a Chrome or Chromium on the PATH, or Google Chrome at its standard place;
 * 3. a Chrome for Testing build that an earlier run downloaded into the machine cache;
 * 4. provisioning: on Debian (and derivatives) as root, Debian's `chromium` package with apt-get; elsewhere
 *    puppeteer's own download of the pinned chrome-headless-shell (needs the network to Google's storage);
 *    on Ubuntu the download comes first, since its `chromium` package is a snap stub that containers cannot run.
 * The reports' fonts (DejaVu, for accents and ñ) come the same way: fonts-dejavu-core with apt-get.
 * When nothing works, NoChromiumError names every attempt and the ways out.
 */
import {
  Browser,
  ChromeReleaseChannel,
  computeExecutablePath,
  computeSystemExecutablePath,
  detectBrowserPlatform,
  install,
} from '@puppeteer/browsers';
import { execFile, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PUPPETEER_REVISIONS } from 'puppeteer-core/internal/revisions.js';

const execFileAsync = promisify(execFile);

/** An error's message on one line, short enough for a list of attempts. */
const brief = (error: unknown): string => ((error as Error)?.message ?? String(error)).replace(/\s*\n\s*/g, ' ').trim().slice(0, 300);

/** Executable names tried on the PATH, in this order. */
export const PATH_NAMES = ['chromium', 'chromium-browser', 'google-chrome-stable', 'google-chrome', 'chrome', 'chrome-headless-shell'] as const;
/** Debian packages of the apt route: the browser, and the font the reports ask for. */
export const APT_BROWSER_PACKAGE = 'chromium';
export const APT_FONT_PACKAGE = 'fonts-dejavu-core';
/** The build puppeteer-core was made for; downloaded when no system browser can be had. */
export const DOWNLOAD_BUILD = { browser: Browser.CHROMEHEADLESSSHELL, buildId: PUPPETEER_REVISIONS['chrome-headless-shell'] };

export type ChromiumRoute =
  | 'CHROMIUM_PATH'
  | 'PATH'
  | 'Google Chrome (standard location)'
  | 'downloaded earlier (Chrome for Testing)'
  | 'Debian package (installed now)'
  | 'downloaded now (Chrome for Testing)';

export interface ChromiumChoice {
  path: string;
  route: ChromiumRoute;
  /** What `--version` printed, e.g. "Chromium 140.0.7339.185 built on Debian…". */
  version: string;
  /** Seconds spent finding (and provisioning) it. */
  seconds: number;
}

/** CHROMIUM_PATH names a file that is not there (or cannot run). */
export class ChromiumNotFoundError extends Error {
  constructor(readonly path: string, reason = 'no such executable') {
    super(
      `Chromium not found at ${path} (${reason}): fix or unset CHROMIUM_PATH (it must name the browser's executable); ` +
        'unset, the service looks on the PATH and installs or downloads a browser itself',
    );
    this.name = 'ChromiumNotFoundError';
  }
}

/** Nothing could give a browser: every attempt, and the ways out. */
export class NoChromiumError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      [
        'No Chromium or Chrome could be found or installed to print the PDF reports. Tried:',
        ...attempts.map((a) => `  - ${a}`),
        'Ways out: set CHROMIUM_PATH to a Chrome or Chromium executable;',
        `or install Debian's browser and fonts (sudo apt-get install -y ${APT_BROWSER_PACKAGE} ${APT_FONT_PACKAGE}) or your system's Chrome;`,
        `or allow the download of Chrome for Testing ${DOWNLOAD_BUILD.buildId} (npx @puppeteer/browsers install chrome-headless-shell@${DOWNLOAD_BUILD.buildId} --path <cache>/browsers).`,
      ].join('\n'),
    );
    this.name = 'NoChromiumError';
  }
}

/** The machine cache (outside the repository), the same folder as the offline mongod's (MGA_CACHE_DIR overrides). */
export function browserCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MGA_CACHE_DIR) return path.join(path.resolve(env.MGA_CACHE_DIR), 'browsers');
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'mga-service', 'browsers');
}

// ---------------------------------------------------------------------------------------------
// The provisioning decision, pure so that it can be tested on every kind of machine.

export interface MachineFacts {
  platform: NodeJS.Platform;
  /** ID and ID_LIKE of /etc/os-release (lower case), when there is one. */
  os?: { id: string; idLike: string[] };
  isRoot: boolean;
  hasAptGet: boolean;
  /** A browser is already there (found by the earlier steps); only the fonts may be missing. */
  browserFound: boolean;
  /** The reports' font (DejaVu Sans) is installed; undefined where that is not checked (not Linux). */
  fontsPresent?: boolean;
  /** puppeteer has a Chrome for Testing build for this platform. */
  downloadable: boolean;
}

export type ProvisioningStep = { kind: 'apt'; packages: string[] } | { kind: 'download' };

export interface ProvisioningPlan {
  /** Tried in order until one gives a browser (the fonts step comes first when it is alone). */
  steps: ProvisioningStep[];
  /** Routes left out and why, for the final message and the log. */
  notes: string[];
}

export function provisioningPlan(facts: MachineFacts): ProvisioningPlan {
  const notes: string[] = [];
  const debianLike = facts.platform === 'linux' && !!facts.os && (facts.os.id === 'debian' || facts.os.id === 'ubuntu' || facts.os.idLike.includes('debian') || facts.os.idLike.includes('ubuntu'));
  const ubuntu = !!facts.os && (facts.os.id === 'ubuntu' || facts.os.idLike.includes('ubuntu'));
  const canApt = debianLike && facts.isRoot && facts.hasAptGet;
  if (!debianLike) notes.push(`Debian package: not a Debian or Ubuntu system`);
  else if (!facts.isRoot) notes.push(`Debian package: not running as root, so apt-get is not used (sudo apt-get install -y ${APT_BROWSER_PACKAGE} ${APT_FONT_PACKAGE})`);
  else if (!facts.hasAptGet) notes.push('Debian package: apt-get not found');
  const fonts = facts.platform === 'linux' && facts.fontsPresent === false ? [APT_FONT_PACKAGE] : [];
  if (facts.browserFound) {
    if (fonts.length > 0 && canApt) return { steps: [{ kind: 'apt', packages: fonts }], notes };
    if (fonts.length > 0) notes.push(`the DejaVu fonts are missing: accents may print with another font (install ${APT_FONT_PACKAGE})`);
    return { steps: [], notes };
  }
  const apt: ProvisioningStep | undefined = canApt ? { kind: 'apt', packages: [APT_BROWSER_PACKAGE, ...fonts] } : undefined;
  const download: ProvisioningStep | undefined = facts.downloadable ? { kind: 'download' } : undefined;
  if (!facts.downloadable) notes.push(`download: puppeteer has no Chrome for Testing build for ${facts.platform}`);
  const steps = (ubuntu ? [download, apt] : [apt, download]).filter((s): s is ProvisioningStep => s !== undefined);
  return { steps, notes };
}

// ---------------------------------------------------------------------------------------------
// Looking at the machine.

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Ubuntu's chromium-browser and chromium are shell stubs that ask for the snap: not a browser. */
async function isSnapStub(file: string): Promise<boolean> {
  try {
    const head = (await readFile(file)).subarray(0, 4096).toString('latin1');
    return head.startsWith('#!') && /snap/.test(head) && !(await isExecutable('/snap/bin/chromium'));
  } catch {
    return false;
  }
}

export async function findOnPath(pathVariable: string | undefined, names: readonly string[] = PATH_NAMES): Promise<string | undefined> {
  const dirs = (pathVariable ?? '').split(path.delimiter).filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if ((await isExecutable(candidate)) && !(await isSnapStub(candidate))) return candidate;
    }
  }
  return undefined;
}

async function osRelease(): Promise<MachineFacts['os']> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const field = (name: string) => new RegExp(`^${name}=("?)([^"\\n]*)\\1$`, 'm').exec(text)?.[2]?.toLowerCase() ?? '';
    return { id: field('ID'), idLike: field('ID_LIKE').split(/\s+/).filter(Boolean) };
  } catch {
    return undefined;
  }
}

const FONT_DIRS = ['/usr/share/fonts', '/usr/local/share/fonts', path.join(homedir(), '.local/share/fonts'), path.join(homedir(), '.fonts')];

/** DejaVu Sans somewhere in the usual font folders (three levels deep, as Debian lays them out). */
export async function dejavuPresent(dirs: readonly string[] = FONT_DIRS): Promise<boolean> {
  const search = async (dir: string, depth: number): Promise<boolean> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile() && entry.name === 'DejaVuSans.ttf') return true;
      if (entry.isDirectory() && depth > 0 && (await search(path.join(dir, entry.name), depth - 1))) return true;
    }
    return false;
  };
  for (const dir of dirs) if (await search(dir, 3)) return true;
  return false;
}

/** `--version` both names the build and proves that it runs (a download may lack shared libraries). */
async function browserVersion(file: string): Promise<string> {
  const { stdout } = await execFileAsync(file, ['--version'], { timeout: 30_000, maxBuffer: 1 << 20 });
  return stdout.trim().split('\n').pop()!.trim() || 'unknown version';
}

function run(command: string, args: string[], log: (msg: string) => void): Promise<void> {
  log(`$ ${command} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function aptInstall(packages: string[], log: (msg: string) => void): Promise<void> {
  log(`installing Debian packages ${packages.join(', ')} for the PDF reports (one time, about a minute)`);
  await run('apt-get', ['update', '-q'], log);
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], log);
}

async function downloadChromeForTesting(cacheDir: string, log: (msg: string) => void): Promise<string> {
  const platform = detectBrowserPlatform();
  if (!platform) throw new Error(`no Chrome for Testing build for ${process.platform}/${process.arch}`);
  log(`downloading Chrome for Testing ${DOWNLOAD_BUILD.browser} ${DOWNLOAD_BUILD.buildId} into ${cacheDir} (puppeteer's download, about 100 MB)`);
  const installed = await install({ ...DOWNLOAD_BUILD, platform, cacheDir });
  return installed.executablePath;
}

// ---------------------------------------------------------------------------------------------
// The resolution.

export interface FindChromiumOptions {
  env?: NodeJS.ProcessEnv;
  log?: (msg: string) => void;
  /** May install (apt-get) or download a browser; default true. */
  provision?: boolean;
  /** Seams for tests: the machine as seen, and the two provisioning actions. */
  facts?: Partial<Omit<MachineFacts, 'browserFound'>>;
  aptInstall?: (packages: string[], log: (msg: string) => void) => Promise<void>;
  download?: (cacheDir: string, log: (msg: string) => void) => Promise<string>;
  /** Looks for Google Chrome at its standard place (default true). */
  systemChrome?: boolean;
}

export async function findChromium(options: FindChromiumOptions = {}): Promise<ChromiumChoice> {
  const started = Date.now();
  const env = options.env ?? process.env;
  const log = options.log ?? (() => {});
  const done = async (file: string, route: ChromiumRoute): Promise<ChromiumChoice> => ({
    path: file,
    route,
    version: await browserVersion(file),
    seconds: (Date.now() - started) / 1000,
  });
  const attempts: string[] = [];

  if (env.CHROMIUM_PATH) {
    const file = env.CHROMIUM_PATH;
    if (!(await isExecutable(file))) throw new ChromiumNotFoundError(file);
    try {
      return await done(file, 'CHROMIUM_PATH');
    } catch (error) {
      throw new ChromiumNotFoundError(file, `it does not run: ${brief(error)}`);
    }
  }

  const candidates: { file: string; route: ChromiumRoute }[] = [];
  const onPath = await findOnPath(env.PATH);
  if (onPath) candidates.push({ file: onPath, route: 'PATH' });
  else attempts.push(`PATH: none of ${PATH_NAMES.join(', ')} in ${env.PATH ? env.PATH : '(empty PATH)'}`);
  if (options.systemChrome !== false) {
    try {
      const chrome = computeSystemExecutablePath({ browser: Browser.CHROME, channel: ChromeReleaseChannel.STABLE });
      if (await isExecutable(chrome)) candidates.push({ file: chrome, route: 'Google Chrome (standard location)' });
      else attempts.push(`Google Chrome: not at ${chrome}`);
    } catch {
      attempts.push('Google Chrome: no standard location on this platform');
    }
  }
  const cacheDir = browserCacheDir(env);
  const platform = detectBrowserPlatform();
  if (platform) {
    const cached = computeExecutablePath({ ...DOWNLOAD_BUILD, platform, cacheDir });
    if (await isExecutable(cached)) candidates.push({ file: cached, route: 'downloaded earlier (Chrome for Testing)' });
    else attempts.push(`earlier download: none in ${cacheDir}`);
  }
  let found: ChromiumChoice | undefined;
  for (const candidate of candidates) {
    try {
      found = await done(candidate.file, candidate.route);
      break;
    } catch (error) {
      attempts.push(`${candidate.route}: ${candidate.file} does not run (${brief(error)})`);
    }
  }

  const facts: MachineFacts = {
    platform: options.facts?.platform ?? process.platform,
    os: options.facts && 'os' in options.facts ? options.facts.os : await osRelease(),
    isRoot: options.facts?.isRoot ?? (typeof process.getuid === 'function' && process.getuid() === 0),
    hasAptGet: options.facts?.hasAptGet ?? (await isExecutable('/usr/bin/apt-get')),
    browserFound: found !== undefined,
    fontsPresent: options.facts && 'fontsPresent' in options.facts ? options.facts.fontsPresent : process.platform === 'linux' ? await dejavuPresent() : undefined,
    downloadable: options.facts?.downloadable ?? detectBrowserPlatform() !== undefined,
  };
  const plan = provisioningPlan(facts);
  if (found) {
    if (options.provision !== false) {
      for (const step of plan.steps) {
        if (step.kind !== 'apt') continue;
        try {
          await (options.aptInstall ?? aptInstall)(step.packages, log);
        } catch (error) {
          log(`could not install ${step.packages.join(', ')}: ${(error as Error).message}; reports may print accents with another font`);
        }
      }
    }
    for (const note of plan.notes) if (note.startsWith('the DejaVu')) log(note);
    return { ...found, seconds: (Date.now() - started) / 1000 };
  }

  attempts.push(...plan.notes);
  if (options.provision === false) {
    attempts.push('installing or downloading a browser: not allowed here');
    throw new NoChromiumError(attempts);
  }
  for (const step of plan.steps) {
    if (step.kind === 'apt') {
      try {
        await (options.aptInstall ?? aptInstall)(step.packages, log);
        const installed = await findOnPath(env.PATH || '/usr/bin:/bin', [APT_BROWSER_PACKAGE]);
        if (!installed) throw new Error(`apt-get installed ${APT_BROWSER_PACKAGE} but no ${APT_BROWSER_PACKAGE} executable is on the PATH`);
        return await done(installed, 'Debian package (installed now)');
      } catch (error) {
        attempts.push(`Debian package ${step.packages.join(', ')}: ${brief(error)}`);
        log(attempts[attempts.length - 1]!);
      }
    } else {
      try {
        const file = await (options.download ?? downloadChromeForTesting)(cacheDir, log);
        return await done(file, 'downloaded now (Chrome for Testing)');
      } catch (error) {
        attempts.push(`download of Chrome for Testing ${DOWNLOAD_BUILD.buildId}: ${brief(error)}`);
        log(attempts[attempts.length - 1]!);
      }
    }
  }
  throw new NoChromiumError(attempts);
}

let resolving: { key: string; choice: Promise<ChromiumChoice> } | undefined;

/**
 * The browser of this process, found (and provisioned) once; later calls are immediate. A failure is
 * not remembered, so the next call tries again. Changing CHROMIUM_PATH starts a new resolution.
 */
export function resolveChromium(log?: (msg: string) => void): Promise<ChromiumChoice> {
  const key = process.env.CHROMIUM_PATH ?? '';
  if (resolving?.key === key) return resolving.choice;
  const choice = findChromium({ log });
  const entry = { key, choice };
  resolving = entry;
  choice.catch(() => {
    if (resolving === entry) resolving = undefined;
  });
  return choice;
}

/** One log line: which browser prints the PDFs. */
export function describeChromium(choice: ChromiumChoice): string {
  return `PDF browser: ${choice.version} at ${choice.path} (${choice.route}; found in ${choice.seconds.toFixed(2)} s)`;
}
