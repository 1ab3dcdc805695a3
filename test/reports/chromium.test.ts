/**
 * How the PDF browser is found and provisioned. Nothing here installs or removes anything: the
 * machine is seen through injected facts, the apt-get and download actions are stand-ins that
 * record their calls, and "installed" browsers are small scripts in temporary folders.
 */
import { expect } from 'chai';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  APT_BROWSER_PACKAGE,
  APT_FONT_PACKAGE,
  ChromiumNotFoundError,
  dejavuPresent,
  findChromium,
  findOnPath,
  NoChromiumError,
  provisioningPlan,
  type MachineFacts,
} from '../../reports/chromium.js';

const debian = { id: 'debian', idLike: [] };
const ubuntu = { id: 'ubuntu', idLike: ['debian'] };
const base: MachineFacts = { platform: 'linux', os: debian, isRoot: true, hasAptGet: true, browserFound: false, fontsPresent: true, downloadable: true };

async function fakeBrowser(dir: string, name = 'chromium', version = 'Chromium 999.0 fake'): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\necho "${version}"\n`);
  await chmod(file, 0o755);
  return file;
}

describe('PDF browser: resolution and provisioning', () => {
  describe('the provisioning decision', () => {
    it('Debian as root: Debian\'s chromium with apt-get first, the download second', () => {
      expect(provisioningPlan(base).steps).to.deep.equal([{ kind: 'apt', packages: [APT_BROWSER_PACKAGE] }, { kind: 'download' }]);
    });
    it('adds the DejaVu fonts when they are missing', () => {
      expect(provisioningPlan({ ...base, fontsPresent: false }).steps[0]).to.deep.equal({ kind: 'apt', packages: [APT_BROWSER_PACKAGE, APT_FONT_PACKAGE] });
    });
    it('a browser already there: nothing to do, or only the fonts', () => {
      expect(provisioningPlan({ ...base, browserFound: true }).steps).to.deep.equal([]);
      expect(provisioningPlan({ ...base, browserFound: true, fontsPresent: false }).steps).to.deep.equal([{ kind: 'apt', packages: [APT_FONT_PACKAGE] }]);
      const notRoot = provisioningPlan({ ...base, browserFound: true, fontsPresent: false, isRoot: false });
      expect(notRoot.steps).to.deep.equal([]);
      expect(notRoot.notes.join(' ')).to.include(APT_FONT_PACKAGE);
    });
    it('not root, or no apt-get: only the download, and the note says why', () => {
      const plan = provisioningPlan({ ...base, isRoot: false });
      expect(plan.steps).to.deep.equal([{ kind: 'download' }]);
      expect(plan.notes.join(' ')).to.match(/not running as root.*sudo apt-get install -y chromium/);
      expect(provisioningPlan({ ...base, hasAptGet: false }).steps).to.deep.equal([{ kind: 'download' }]);
    });
    it('Ubuntu: the download before apt-get (its chromium package is a snap stub)', () => {
      expect(provisioningPlan({ ...base, os: ubuntu }).steps.map((s) => s.kind)).to.deep.equal(['download', 'apt']);
    });
    it('macOS or another system: the download only; nothing at all when no build exists', () => {
      expect(provisioningPlan({ ...base, platform: 'darwin', os: undefined }).steps).to.deep.equal([{ kind: 'download' }]);
      const none = provisioningPlan({ ...base, platform: 'freebsd', os: undefined, downloadable: false });
      expect(none.steps).to.deep.equal([]);
      expect(none.notes.join(' ')).to.match(/not a Debian or Ubuntu system.*no Chrome for Testing build/);
    });
  });

  describe('finding the browser', () => {
    let dir: string;
    let calls: string[];
    const record = {
      aptInstall: async (packages: string[]) => void calls.push(`apt ${packages.join(' ')}`),
      download: async (): Promise<string> => {
        calls.push('download');
        throw new Error('getaddrinfo ENOTFOUND storage.example');
      },
    };
    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'mga-chromium-'));
      calls = [];
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('CHROMIUM_PATH that does not exist: ChromiumNotFoundError naming the path and the variable', async () => {
      const error = await findChromium({ env: { CHROMIUM_PATH: path.join(dir, 'nope') }, ...record }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ChromiumNotFoundError);
      expect((error as Error).message).to.match(/Chromium not found at .*nope.*CHROMIUM_PATH/);
      expect(calls).to.deep.equal([]);
    });

    it('CHROMIUM_PATH that exists is used as it is, with its version', async () => {
      const file = await fakeBrowser(path.join(dir, 'custom'), 'my-browser', 'Chromium 123.4 custom');
      const choice = await findChromium({ env: { CHROMIUM_PATH: file, PATH: '' }, ...record });
      expect(choice).to.include({ path: file, route: 'CHROMIUM_PATH', version: 'Chromium 123.4 custom' });
    });

    it('a chromium on the PATH: found at once, nothing installed (the quick path)', async () => {
      const file = await fakeBrowser(path.join(dir, 'bin'));
      const choice = await findChromium({
        env: { PATH: `${path.join(dir, 'empty')}:${path.join(dir, 'bin')}`, MGA_CACHE_DIR: dir },
        systemChrome: false,
        facts: { isRoot: true, os: debian, hasAptGet: true, fontsPresent: true },
        ...record,
      });
      expect(choice).to.include({ path: file, route: 'PATH' });
      expect(choice.seconds).to.be.below(2);
      expect(calls).to.deep.equal([]);
    });

    it('a browser on the PATH but no DejaVu fonts, as root on Debian: installs only the fonts', async () => {
      await fakeBrowser(path.join(dir, 'bin'));
      await findChromium({ env: { PATH: path.join(dir, 'bin'), MGA_CACHE_DIR: dir }, systemChrome: false, facts: { isRoot: true, os: debian, hasAptGet: true, fontsPresent: false }, ...record });
      expect(calls).to.deep.equal([`apt ${APT_FONT_PACKAGE}`]);
    });

    it('nothing on the PATH, Debian as root: installs Debian\'s chromium (and fonts) and uses it', async () => {
      const bin = path.join(dir, 'bin');
      const choice = await findChromium({
        env: { PATH: bin, MGA_CACHE_DIR: dir },
        systemChrome: false,
        facts: { isRoot: true, os: debian, hasAptGet: true, fontsPresent: false },
        aptInstall: async (packages) => {
          calls.push(`apt ${packages.join(' ')}`);
          await fakeBrowser(bin, 'chromium', 'Chromium 140 built on Debian');
        },
        download: record.download,
      });
      expect(calls).to.deep.equal([`apt ${APT_BROWSER_PACKAGE} ${APT_FONT_PACKAGE}`]);
      expect(choice).to.include({ route: 'Debian package (installed now)', path: path.join(bin, 'chromium'), version: 'Chromium 140 built on Debian' });
    });

    it('apt-get fails: falls back to the download', async () => {
      const downloaded = path.join(dir, 'dl');
      const choice = await findChromium({
        env: { PATH: '', MGA_CACHE_DIR: dir },
        systemChrome: false,
        facts: { isRoot: true, os: debian, hasAptGet: true, fontsPresent: true },
        aptInstall: async () => {
          calls.push('apt');
          throw new Error('apt-get install -y chromium exited with 100');
        },
        download: async () => {
          calls.push('download');
          return fakeBrowser(downloaded, 'chrome-headless-shell', 'Google Chrome for Testing 148');
        },
      });
      expect(calls).to.deep.equal(['apt', 'download']);
      expect(choice.route).to.equal('downloaded now (Chrome for Testing)');
    });

    it('not installed and nothing works (empty PATH, not root, no network): one error naming every attempt and the ways out', async () => {
      const error = await findChromium({
        env: { PATH: '', MGA_CACHE_DIR: dir },
        systemChrome: false,
        facts: { isRoot: false, os: debian, hasAptGet: true, fontsPresent: true },
        ...record,
      }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(NoChromiumError);
      const message = (error as Error).message;
      expect(calls).to.deep.equal(['download']);
      expect(message).to.include('PATH: none of chromium');
      expect(message).to.include('(empty PATH)');
      expect(message).to.include('not running as root');
      expect(message).to.include('ENOTFOUND');
      expect(message).to.match(/Ways out: set CHROMIUM_PATH/);
      expect(message).to.include('sudo apt-get install -y chromium fonts-dejavu-core');
    });

    it('provision: false never installs nor downloads', async () => {
      const error = await findChromium({ env: { PATH: '', MGA_CACHE_DIR: dir }, systemChrome: false, provision: false, facts: { isRoot: true, os: debian, hasAptGet: true }, ...record }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(NoChromiumError);
      expect(calls).to.deep.equal([]);
    });

    it('a browser that does not run is skipped and reported', async () => {
      const bin = path.join(dir, 'bin');
      await mkdir(bin);
      await writeFile(path.join(bin, 'chromium'), '#!/bin/sh\necho "error while loading shared libraries: libnss3.so" >&2\nexit 127\n');
      await chmod(path.join(bin, 'chromium'), 0o755);
      const error = await findChromium({ env: { PATH: bin, MGA_CACHE_DIR: dir }, systemChrome: false, facts: { isRoot: false, os: debian }, ...record }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(NoChromiumError);
      expect((error as Error).message).to.match(/PATH: .*chromium does not run/);
    });

    it('skips Ubuntu\'s snap stub on the PATH', async () => {
      const bin = path.join(dir, 'bin');
      await mkdir(bin);
      await writeFile(path.join(bin, 'chromium-browser'), '#!/bin/sh\necho "Command \'/usr/bin/chromium-browser\' requires the chromium snap to be installed."\nexit 1\n');
      await chmod(path.join(bin, 'chromium-browser'), 0o755);
      expect(await findOnPath(bin)).to.equal(undefined);
      const real = await fakeBrowser(bin, 'google-chrome');
      expect(await findOnPath(bin)).to.equal(real);
    });

    it('finds DejaVu Sans where Debian puts it', async () => {
      const fonts = path.join(dir, 'fonts', 'truetype', 'dejavu');
      await mkdir(fonts, { recursive: true });
      expect(await dejavuPresent([path.join(dir, 'fonts')])).to.equal(false);
      await writeFile(path.join(fonts, 'DejaVuSans.ttf'), '');
      expect(await dejavuPresent([path.join(dir, 'fonts')])).to.equal(true);
    });
  });
});
