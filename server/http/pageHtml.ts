/**
 * Shared touches to every page's HTML, applied once in the layout so that every view (and every
 * new one) gets them without doing anything: data tables scroll sideways inside their own box on
 * narrow screens, so the page itself never scrolls sideways (a 390 px phone).
 */

/** The wrapper the layout puts around each data table; `page.js` makes it focusable when it scrolls. */
export const TABLE_SCROLL_CLASS = 'table-scroll';

const TABLE_TAG = /<(\/?)table(?=[\s>])[^>]*>|<script\b[\s\S]*?<\/script>|<textarea\b[\s\S]*?<\/textarea>/gi;
const OPEN_WRAPPER = /<div class="table-scroll"[^>]*>\s*$/;

/**
 * Wraps every outermost `<table>` of `html` in `<div class="table-scroll">` unless the view already
 * did. Tables inside scripts or text areas are left alone; nested tables stay in their parent's box.
 */
export function wrapTables(html: string): string {
  let out = '';
  let last = 0;
  let depth = 0;
  let wrapped = false;
  for (const match of html.matchAll(TABLE_TAG)) {
    const [tag, closing] = match;
    if (!/^<\/?table/i.test(tag)) continue; // a script or a text area: copied as it is
    const at = match.index!;
    if (!closing) {
      if (depth === 0) {
        out += html.slice(last, at);
        wrapped = !OPEN_WRAPPER.test(out);
        if (wrapped) out += `<div class="${TABLE_SCROLL_CLASS}">`;
        out += tag;
        last = at + tag.length;
      }
      depth += 1;
    } else if (depth > 0) {
      depth -= 1;
      if (depth === 0) {
        out += html.slice(last, at + tag.length);
        if (wrapped) out += '</div>';
        last = at + tag.length;
      }
    }
  }
  return out + html.slice(last);
}

const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"']+/g;

/**
 * Escapes `text` for HTML and turns the web addresses in it (sources, data notes) into links.
 * A period, comma, semicolon, colon or closing parenthesis right after an address ends the sentence,
 * not the address.
 */
export function linkUrls(text: string, escape: (s: string) => string): string {
  let out = '';
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    let url = match[0];
    const trailing = /[.,;:!?)\]]+$/.exec(url)?.[0] ?? '';
    if (trailing && !(trailing.startsWith(')') && url.includes('('))) url = url.slice(0, url.length - trailing.length);
    out += escape(text.slice(last, match.index)) + `<a href="${escape(url)}">${escape(url)}</a>`;
    last = match.index! + url.length;
  }
  return out + escape(text.slice(last));
}
