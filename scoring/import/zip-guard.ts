/**
 * The "zip bomb" guard of XLSX imports: before a workbook is parsed, every entry of the archive is
 * checked against the caps — its declared sizes first (a cheap look at the central directory), then
 * its actual decompressed bytes, counted while inflating (yauzl checks that they match the
 * declaration, so a forged small size cannot hide a huge entry). Inflating runs in zlib's thread
 * pool: the event loop stays free.
 */
import yauzl from 'yauzl';
import { limitName, type ImportLimits } from './limits.js';
import { fileError, type ImportError } from './types.js';

function openZip(bytes: Uint8Array): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (error, zip) =>
      error || !zip ? reject(error ?? new Error('not a ZIP archive')) : resolve(zip),
    ),
  );
}

/** Undefined when the archive is within the caps; otherwise the first problem, naming the cap. */
export async function checkZipArchive(bytes: Uint8Array, limits: ImportLimits): Promise<ImportError | undefined> {
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(bytes);
  } catch (error) {
    return fileError(`not a readable XLSX workbook: ${(error as Error).message}`);
  }
  const tooBig = (what: string) => fileError(`${what}; the limit is ${limits.maxUnzippedBytes} bytes decompressed (${limitName(limits, 'maxUnzippedBytes')})`);
  let declared = 0;
  let actual = 0;
  try {
    return await new Promise<ImportError | undefined>((resolve, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolve(undefined));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (/\/$/.test(entry.fileName)) return zip.readEntry();
        declared += entry.uncompressedSize;
        if (declared > limits.maxUnzippedBytes) return resolve(tooBig(`the workbook decompresses to more than ${declared} bytes`));
        const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
        if (ratio > limits.maxRatio) {
          return resolve(fileError(`the workbook's part "${entry.fileName}" is compressed ${Math.round(ratio)} to 1 (${entry.compressedSize} bytes for ${entry.uncompressedSize}); the limit is ${limits.maxRatio} to 1 (${limitName(limits, 'maxRatio')})`));
        }
        zip.openReadStream(entry, (error, stream) => {
          if (error || !stream) return reject(error ?? new Error(`cannot read ${entry.fileName}`));
          stream.on('data', (chunk: Buffer) => {
            actual += chunk.length;
            if (actual > limits.maxUnzippedBytes) {
              stream.destroy();
              resolve(tooBig(`the workbook decompresses to more than ${actual} bytes`));
            }
          });
          stream.on('error', reject);
          stream.on('end', () => zip.readEntry());
        });
      });
      zip.readEntry();
    });
  } catch (error) {
    return fileError(`not a readable XLSX workbook: ${(error as Error).message}`);
  } finally {
    zip.close();
  }
}
