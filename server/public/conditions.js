// Conditional questions in the questionnaire forms (the institutions' questionnaire and the
// evaluators' citizen logs); the pages work without it. With it, a question whose condition does
// not hold is hidden, and shown as soon as it holds (the server decides again on submit); the
// sentences that explain the conditions to readers without script are then not needed. It also
// opens the «Motivo del cambio» field beside an answer as soon as that answer changes.
(function () {
  'use strict';
  function topLevel(form, itemId) {
    var found = null;
    form.querySelectorAll('[data-item="' + itemId + '"]').forEach(function (el) {
      if (!found && !el.closest('.q-row')) found = el;
    });
    return found;
  }
  function wrapperOf(form, itemId, scope) {
    var inRow = scope ? scope.querySelector('[data-item="' + itemId + '"]') : null;
    return inRow || topLevel(form, itemId);
  }
  function valuesOf(wrapper) {
    if (wrapper.classList.contains('q-hidden')) return [];
    var values = [];
    wrapper.querySelectorAll('input, select, textarea').forEach(function (input) {
      if (input.closest('.evidence') || input.closest('[data-change-reason]') || input.type === 'file') return;
      if ((input.type === 'radio' || input.type === 'checkbox') && !input.checked) return;
      if (input.value !== '') values.push(input.value);
    });
    return values;
  }
  // true / false, or null when a question it tests is not on this page (a section page): the server decided.
  function holds(form, condition, scope) {
    var parts = condition.all || condition.any;
    if (parts) {
      var results = parts.map(function (c) { return holds(form, c, scope); });
      if (results.indexOf(null) >= 0) return null;
      return condition.all ? results.every(Boolean) : results.some(Boolean);
    }
    var wrapper = wrapperOf(form, condition.item, scope);
    if (!wrapper) return null;
    var values = valuesOf(wrapper);
    var wanted = condition.in ? condition.in.map(String) : [String(condition.equals)];
    return values.some(function (v) { return wanted.indexOf(v) >= 0; });
  }
  function apply(form) {
    // Questions only look back, so one pass in document order settles every condition.
    form.querySelectorAll('[data-show-if]').forEach(function (el) {
      var result = holds(form, JSON.parse(el.getAttribute('data-show-if')), el.closest('.q-row'));
      var visible = result === null ? !el.classList.contains('q-conditional') : result;
      el.classList.toggle('q-hidden', !visible);
    });
  }
  function reasonOpener(event) {
    var target = event.target;
    if (!target || !target.closest || target.closest('[data-change-reason]')) return;
    var block = target.closest('.q-group') || target.closest('[data-item]');
    while (block && block.parentElement && block.parentElement.closest('[data-item], .q-group')) block = block.parentElement.closest('[data-item], .q-group');
    var details = block && block.querySelector(':scope > details[data-change-reason]');
    if (details && !details.open) {
      details.hidden = false;
      details.open = true;
    }
  }
  var forms = document.querySelectorAll('form.questionnaire');
  forms.forEach(function (form) {
    form.querySelectorAll('[data-condition-note]').forEach(function (note) { note.hidden = true; });
    // A reason is asked beside an answer only once it changes (without script: a closed box on each).
    form.querySelectorAll('details[data-change-reason]:not([open])').forEach(function (details) { details.hidden = true; });
    form.addEventListener('input', function (event) { apply(form); reasonOpener(event); });
    form.addEventListener('change', function (event) { apply(form); reasonOpener(event); });
    apply(form);
  });
  window.mgaConditions = { apply: apply };
})();
