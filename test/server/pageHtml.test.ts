import { expect } from 'chai';
import Handlebars from 'handlebars';
import { linkUrls, wrapTables } from '../../server/http/pageHtml.js';

describe('page HTML: tables that scroll in their box, addresses as links', () => {
  it('wraps each outermost table once, leaves wrapped ones, nested tables, scripts and text areas alone', () => {
    const html = [
      '<h2>A</h2><table class="x"><caption>A</caption><tr><td><table><tr><td>in</td></tr></table></td></tr></table>',
      '<div class="table-scroll">\n<table><tr><td>already</td></tr></table>\n</div>',
      '<script>const t = "<table>";</script><textarea><table></textarea>',
      '<table data-results><tr><td>b</td></tr></table>',
    ].join('');
    const out = wrapTables(html);
    expect(out).to.equal([
      '<h2>A</h2><div class="table-scroll"><table class="x"><caption>A</caption><tr><td><table><tr><td>in</td></tr></table></td></tr></table></div>',
      '<div class="table-scroll">\n<table><tr><td>already</td></tr></table>\n</div>',
      '<script>const t = "<table>";</script><textarea><table></textarea>',
      '<div class="table-scroll"><table data-results><tr><td>b</td></tr></table></div>',
    ].join(''));
    expect(wrapTables('<p>no tables</p>')).to.equal('<p>no tables</p>');
    expect(wrapTables('<thead><tbody>')).to.equal('<thead><tbody>');
  });

  it('turns web addresses into links, escapes the rest, keeps the sentence punctuation outside', () => {
    const escape = Handlebars.escapeExpression;
    expect(linkUrls('Nota 2019: https://example.org/a?p=1&q=2. Otra <b>', escape)).to.equal(
      'Nota 2019: <a href="https://example.org/a?p&#x3D;1&amp;q&#x3D;2">https://example.org/a?p&#x3D;1&amp;q&#x3D;2</a>. Otra &lt;b&gt;',
    );
    expect(linkUrls('(ver https://example.org/x), y http://a.mx/(b)', escape)).to.equal(
      '(ver <a href="https://example.org/x">https://example.org/x</a>), y <a href="http://a.mx/(b)">http://a.mx/(b)</a>',
    );
    expect(linkUrls('sin ligas; javascript:alert(1)', escape)).to.equal('sin ligas; javascript:alert(1)');
  });
});
