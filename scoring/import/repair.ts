/**
 * Repairs institution names damaged by a wrong text encoding before this service read them
 * (mojibake). Only damage whose original is determined by the damaged text is repaired; anything
 * else is left as it is and reported, never guessed. The rules, each named in `NameRepair.rule`:
 *
 * - `double-utf8`: UTF-8 bytes that were read as Latin-1/Windows-1252 and encoded again
 *   («SÃ¡nchez» → «Sánchez», «ArtesanÃ­as» → «Artesanías», «â€”» → «—»). The bytes of the
 *   damaged characters decode as UTF-8 to exactly one character each: reversible.
 * - `orphan-dash`: the continuation bytes 0x80 0x94 of an em dash (UTF-8 E2 80 94) whose first byte
 *   was lost, left as the control characters U+0080 U+0094 («Conacyt \u0080\u0094 Gobierno» →
 *   «Conacyt — Gobierno»); no other character ends in these two bytes.
 * - `orphan-acute`: a vowel followed by the control character U+0081 or U+008C, what was left of a
 *   combining acute accent (U+0301, UTF-8 CC 81) written after the vowel («Mari\u008Ca» → «María»,
 *   «Parai\u008Cso» → «Paraíso», «a\u0081lvarez» → «álvarez»). The vowel keeps the case it has in
 *   the file. C1 control characters never occur in names, and only an accent stands between a
 *   vowel and the rest of a Spanish word.
 *
 * Pure: imports nothing (scoring/ rule).
 */

export type NameRepairRule = 'double-utf8' | 'orphan-dash' | 'orphan-acute';

export interface NameRepair {
  /** The text as read from the file. */
  from: string;
  /** The repaired text. */
  to: string;
  /** The rules applied, in the order above. */
  rules: NameRepairRule[];
  /** True when damage is left that no rule repairs (control characters, U+FFFD). */
  unrepaired: boolean;
}

/** Windows-1252 characters of bytes 0x80–0x9F (the rest of 0x00–0xFF is Latin-1, byte = code point). */
const WIN1252_HIGH = '€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ';

function byteOf(char: string): number | undefined {
  const code = char.codePointAt(0)!;
  if (code <= 0xff) return code;
  const i = WIN1252_HIGH.indexOf(char);
  return i >= 0 ? 0x80 + i : undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A lead byte (Ã, Â, â… as read) and its continuation bytes (0x80–0xBF as read). */
const CONTINUATION = '\u0080-\u00BF€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
const DOUBLE_UTF8 = new RegExp(`[\u00C2-\u00F4][${CONTINUATION}]{1,3}`, 'gu');

/** What double-encoded Spanish text decodes to: Latin letters and signs, punctuation (– — “ ” …), €. */
const PLAUSIBLE = /^[\u00A0-\u024F\u2010-\u2027\u20AC]$/u;

function repairDoubleUtf8(text: string): string {
  return text.replace(DOUBLE_UTF8, (run) => {
    const bytes = [...run].map(byteOf);
    if (bytes.some((b) => b === undefined)) return run;
    try {
      const decoded = utf8.decode(Uint8Array.from(bytes as number[]));
      // Exactly one Latin letter or punctuation mark: anything else (Cyrillic from «Ñº») was not double encoding.
      return PLAUSIBLE.test(decoded) ? decoded : run;
    } catch {
      return run;
    }
  });
}

const ORPHAN_DASH = /\u0080\u0094/gu;
const ORPHAN_ACUTE = /([aeiouAEIOU])[\u0081\u008C]/gu;
const ACUTE: Record<string, string> = { a: 'á', e: 'é', i: 'í', o: 'ó', u: 'ú', A: 'Á', E: 'É', I: 'Í', O: 'Ó', U: 'Ú' };
const DAMAGE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFFFD]/u;

/** The repaired name and what was done, or undefined when the name shows no damage. */
export function repairName(text: string): NameRepair | undefined {
  const rules: NameRepairRule[] = [];
  let to = text;
  const step = (rule: NameRepairRule, repair: (s: string) => string): void => {
    const next = repair(to);
    if (next !== to) {
      rules.push(rule);
      to = next;
    }
  };
  step('double-utf8', repairDoubleUtf8);
  step('orphan-dash', (s) => s.replace(ORPHAN_DASH, '—'));
  step('orphan-acute', (s) => s.replace(ORPHAN_ACUTE, (_, vowel: string) => ACUTE[vowel]!));
  const unrepaired = DAMAGE.test(to);
  if (rules.length === 0 && !unrepaired) return undefined;
  return { from: text, to, rules, unrepaired };
}
