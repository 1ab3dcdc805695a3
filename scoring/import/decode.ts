/** Bytes to text for CSV input: UTF-8 (with or without BOM) or Latin-1, refusing what is neither. */
import iconv from 'iconv-lite';

export type TextEncodingOption = 'utf-8' | 'latin1' | 'auto';
export const TEXT_ENCODINGS: readonly TextEncodingOption[] = ['utf-8', 'latin1', 'auto'];

export type DecodeResult = { text: string; encoding: 'utf-8' | 'latin1' } | { error: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Lenient = new TextDecoder('utf-8');
/** Control characters that do not occur in text tables (tab, CR and LF are fine). */
const CONTROL_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD]/;

function startsWith(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * "Latin-1" is read as Windows-1252, its superset used by spreadsheet exports on Windows (it also
 * gives “ ” – € for bytes 0x80–0x9F). Text with control characters or undefined bytes is implausible.
 */
function decodeLatin1(bytes: Uint8Array): DecodeResult {
  const text = iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'win1252');
  const bad = CONTROL_CHARACTER.exec(text);
  if (bad) {
    const code = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    return { error: `wrong encoding: the file is neither valid UTF-8 nor plausible Latin-1 text (character U+${code} on line ${lineOf(text, bad.index)})` };
  }
  return { text, encoding: 'latin1' };
}

export function decodeText(bytes: Uint8Array, encoding: TextEncodingOption): DecodeResult {
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) {
    // A UTF-8 byte order mark settles the question whatever was asked.
    const text = decodeUtf8(bytes.subarray(3));
    return text === undefined ? { error: 'wrong encoding: the file starts with a UTF-8 byte order mark but is not valid UTF-8' } : { text, encoding: 'utf-8' };
  }
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    return { error: 'wrong encoding: UTF-16 text is not supported; save the file as CSV UTF-8' };
  }
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) {
    return { error: 'wrong format: this is a ZIP/XLSX file, not CSV text; use the xlsx format' };
  }
  if (bytes.includes(0)) return { error: 'wrong encoding: the file contains NUL bytes (binary data or UTF-16), not CSV text' };

  if (encoding === 'latin1') return decodeLatin1(bytes);
  const text = decodeUtf8(bytes);
  if (text !== undefined) return { text, encoding: 'utf-8' };
  if (encoding === 'auto') return decodeLatin1(bytes);
  const lenient = utf8Lenient.decode(bytes);
  return { error: `wrong encoding: not valid UTF-8 (line ${lineOf(lenient, lenient.indexOf('\uFFFD'))}); for a Latin-1 file use encoding latin1 or auto` };
}
