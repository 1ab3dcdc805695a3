/**
 * Text of a PDF through pdfjs-dist (Mozilla's PDF.js, legacy build for Node), so that tests need no
 * system tool such as pdftotext. Two views, like pdftotext's: `text` in reading order (the order in
 * which Chromium drew the items, which follows the HTML: a table cell's wrapped lines stay together)
 * and `layout`, one output line per printed line, where wide gaps between items become several spaces
 * so that table columns stay apart.
 */
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

interface Item {
  str: string;
  x: number;
  y: number;
  width: number;
  size: number;
}

export interface PdfText {
  text: string;
  layout: string;
  pages: number;
}

/** Items whose baselines differ by less than this share of their font size are on one line. */
const SAME_LINE = 0.35;

function lines(items: Item[]): Item[][] {
  const sorted = [...items].sort((a, b) => b.y - a.y || a.x - b.x);
  const rows: Item[][] = [];
  for (const item of sorted) {
    const row = rows.find((r) => Math.abs(r[0]!.y - item.y) < SAME_LINE * Math.max(r[0]!.size, item.size));
    if (row) row.push(item);
    else rows.push([item]);
  }
  for (const row of rows) row.sort((a, b) => a.x - b.x);
  return rows.sort((a, b) => b[0]!.y - a[0]!.y);
}

/** Drawing order: a new line when the baseline moves, one space across a gap on the same line. */
function streamText(items: Item[]): string[] {
  const out: string[] = [];
  let line: Item[] = [];
  for (const item of items) {
    const last = line[line.length - 1];
    if (last && Math.abs(last.y - item.y) >= SAME_LINE * Math.max(last.size, item.size)) {
      out.push(joinLine(line, false));
      line = [];
    }
    line.push(item);
  }
  if (line.length > 0) out.push(joinLine(line, false));
  return out;
}

function joinLine(row: Item[], layout: boolean): string {
  let out = '';
  let end: number | undefined;
  for (const item of row) {
    if (end !== undefined) {
      const gap = item.x - end;
      const charWidth = item.str.length > 0 && item.width > 0 ? item.width / item.str.length : item.size * 0.5;
      // In drawing order an item may also start left of the previous one: that is a gap too.
      const apart = gap > item.size * 0.12 || gap < -item.size;
      if (apart && !out.endsWith(' ') && !item.str.startsWith(' ')) {
        out += layout ? ' '.repeat(Math.max(1, Math.min(40, Math.round(Math.abs(gap) / charWidth)))) : ' ';
      }
    }
    out += item.str;
    end = item.x + item.width;
  }
  return out.replace(/\s+$/, '');
}

export async function readPdfText(pdf: Uint8Array): Promise<PdfText> {
  // pdf.js takes ownership of (and detaches) the array it is given: hand it a copy.
  const doc = await getDocument({ data: new Uint8Array(pdf), useSystemFonts: false, isEvalSupported: false, verbosity: 0 }).promise;
  try {
    const text: string[] = [];
    const layout: string[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const content = await page.getTextContent();
      const items: Item[] = [];
      for (const raw of content.items) {
        if (!('str' in raw) || raw.str.trim() === '') continue;
        const [a, b, , , e, f] = raw.transform as number[];
        items.push({ str: raw.str, x: e!, y: f!, width: raw.width, size: Math.hypot(a!, b!) || raw.height || 10 });
      }
      text.push(...streamText(items));
      for (const row of lines(items)) layout.push(joinLine(row, true));
      // pdftotext ends each page with a form feed.
      text.push('\f');
      layout.push('\f');
      page.cleanup();
    }
    return { text: text.join('\n'), layout: layout.join('\n'), pages: doc.numPages };
  } finally {
    await doc.destroy();
  }
}
