/*
 * Loaded on every page (layouts/main.hbs). Small helps for keyboard and screen-reader users; every
 * page works without it.
 * - The skip link: the focus goes to the main content (browsers that do not move it to the target).
 * - After a failed post, the focus goes to the error summary (browsers that ignore `autofocus` on it).
 * - A data table that scrolls sideways in its box can be scrolled with the keyboard (it takes the
 *   focus) and is announced with its caption.
 */
(function () {
  'use strict';

  function focusTarget(hash) {
    var id = decodeURIComponent(hash.replace(/^#/, ''));
    var target = id && document.getElementById(id);
    if (!target) return;
    if (!target.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(target.tagName)) target.setAttribute('tabindex', '-1');
    target.focus();
  }

  var skip = document.querySelector('a.skip');
  if (skip) skip.addEventListener('click', function () { setTimeout(function () { if (document.activeElement === document.body) focusTarget(skip.getAttribute('href')); }, 0); });

  var summary = document.querySelector('.error-summary[autofocus]');
  if (summary && (document.activeElement === document.body || !document.activeElement)) summary.focus();

  function markScrollingTables() {
    var boxes = document.querySelectorAll('.table-scroll');
    for (var i = 0; i < boxes.length; i++) {
      var box = boxes[i];
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute('tabindex')) {
        var caption = box.querySelector('caption');
        box.setAttribute('tabindex', '0');
        box.setAttribute('role', 'region');
        box.setAttribute('aria-label', (caption ? caption.textContent.trim() + ' ' : '') + '(tabla: se desplaza a los lados)');
        box.setAttribute('data-scroll-marked', '');
      } else if (!scrolls && box.hasAttribute('data-scroll-marked')) {
        box.removeAttribute('tabindex');
        box.removeAttribute('role');
        box.removeAttribute('aria-label');
        box.removeAttribute('data-scroll-marked');
      }
    }
  }
  markScrollingTables();
  var pending;
  window.addEventListener('resize', function () {
    clearTimeout(pending);
    pending = setTimeout(markScrollingTables, 150);
  });
})();
