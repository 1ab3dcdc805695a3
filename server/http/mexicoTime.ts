/** Date and time fields of pages, in the time of central Mexico (America/Mexico_City). */
const TIME_ZONE = 'America/Mexico_City';

const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** "2026-05-31T18:00": the instant as a datetime-local field shows it in Mexico City. */
export function localDateTimeValue(date: Date): string {
  const p = Object.fromEntries(parts.formatToParts(date).map((part) => [part.type, part.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The instant of a datetime-local value read in Mexico City time; undefined when malformed. */
export function fromLocalDateTime(value: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value.trim());
  if (!m) return undefined;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
  if (Number.isNaN(asUtc)) return undefined;
  const shown = localDateTimeValue(new Date(asUtc));
  const s = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(shown)!;
  const offset = Date.UTC(Number(s[1]), Number(s[2]) - 1, Number(s[3]), Number(s[4]), Number(s[5])) - asUtc;
  const date = new Date(asUtc - offset);
  return localDateTimeValue(date) === value.trim() ? date : undefined;
}
