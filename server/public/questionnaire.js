// Progressive enhancement of the questionnaire form; the page works without it.
// - shows an item only while its condition holds (the server decides again on submit);
// - saves a draft in the background a moment after each change, and keeps a copy in this browser
//   (localStorage) so nothing typed is lost on a network hiccup or when the page is closed.
(function () {
  'use strict';
  var form = document.getElementById('cuestionario');
  if (!form) return;
  var statusLine = document.getElementById('autoguardado');
  var key = form.getAttribute('data-draft-key');
  var serverVersion = Number(form.getAttribute('data-server-version')) || 0;
  var csrf = form.querySelector('input[name="_csrf"]').value;
  var timer = null;
  var saving = false;
  var dirty = false;

  function say(text) {
    if (statusLine) statusLine.textContent = text;
  }

  // ---- conditions ----
  function wrapperOf(itemId, scope) {
    var inRow = scope ? scope.querySelector('[data-item="' + itemId + '"]') : null;
    return inRow || form.querySelector(':scope [data-item="' + itemId + '"]:not(.q-row [data-item])');
  }
  function valuesOf(wrapper) {
    if (!wrapper || wrapper.classList.contains('q-hidden')) return null;
    var values = [];
    wrapper.querySelectorAll('input, select, textarea').forEach(function (input) {
      if (input.closest('.evidence')) return;
      if ((input.type === 'radio' || input.type === 'checkbox') && !input.checked) return;
      if (input.value !== '') values.push(input.value);
    });
    return values;
  }
  function holds(condition, scope) {
    if (condition.all) return condition.all.every(function (c) { return holds(c, scope); });
    if (condition.any) return condition.any.some(function (c) { return holds(c, scope); });
    var values = valuesOf(wrapperOf(condition.item, scope));
    if (!values || values.length === 0) return false;
    var wanted = condition.in ? condition.in.map(String) : [String(condition.equals)];
    return values.some(function (v) { return wanted.indexOf(v) >= 0; });
  }
  function applyConditions() {
    // Items only look back, so one pass in document order settles every condition.
    form.querySelectorAll('[data-show-if]').forEach(function (el) {
      var scope = el.closest('.q-row');
      var visible = holds(JSON.parse(el.getAttribute('data-show-if')), scope);
      el.classList.toggle('q-hidden', !visible);
      var hint = el.querySelector('.condition');
      if (hint) hint.hidden = true;
    });
  }

  // ---- drafts ----
  function snapshot() {
    var data = new FormData(form);
    data.delete('_csrf');
    // Files are sent only with the buttons (the background save is url-encoded).
    return Array.from(data.entries()).filter(function (pair) { return typeof pair[1] === 'string'; });
  }
  function keep() {
    try {
      localStorage.setItem(key, JSON.stringify({ at: Date.now(), fields: snapshot() }));
    } catch (e) { /* storage full or disabled: the server copy still counts */ }
  }
  function forget() {
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }
  function body() {
    var params = new URLSearchParams();
    snapshot().forEach(function (pair) { params.append(pair[0], pair[1]); });
    params.append('_csrf', csrf);
    return params;
  }
  function updateProgress(progress) {
    var bar = document.getElementById('avance');
    var text = document.getElementById('avance-texto');
    if (bar) bar.value = progress.percent;
    if (text) text.textContent = progress.requiredAnswered + ' de ' + progress.required + ' preguntas obligatorias respondidas (' + progress.percent + ' %)';
  }
  function save() {
    timer = null;
    if (saving) { timer = setTimeout(save, 1000); return; }
    saving = true;
    dirty = false;
    say('Guardando…');
    fetch('/responder/borrador', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'X-CSRF-Token': csrf },
      body: body(),
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (json) { return { ok: response.ok, status: response.status, json: json }; });
      })
      .then(function (result) {
        if (result.ok) {
          if (!dirty) forget();
          updateProgress(result.json.progress);
          say('Borrador guardado automáticamente a las ' + new Date().toLocaleTimeString('es-MX', { hour: '2-digit', minute: '2-digit' }) + '.');
        } else if (result.status === 400 && (result.json.errors || []).some(function (e) { return e.field === 'reason'; })) {
          say('Escriba el motivo de los cambios para guardarlos en el servidor; mientras tanto se guardan en este navegador.');
        } else if (result.status === 400) {
          var count = (result.json.errors || []).length;
          say('Hay ' + count + ' respuesta(s) con errores; se guardaron en este navegador. Pulse «Guardar borrador» para verlas.');
        } else {
          say('No se pudo guardar en el servidor (' + result.status + '); sus respuestas siguen en este navegador.');
        }
      })
      .catch(function () {
        say('Sin conexión: sus respuestas se guardaron en este navegador y se enviarán al reconectar.');
        dirty = true;
      })
      .finally(function () { saving = false; });
  }
  function changed() {
    dirty = true;
    applyConditions();
    keep();
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }
  function restore() {
    var stored;
    try { stored = JSON.parse(localStorage.getItem(key) || 'null'); } catch (e) { stored = null; }
    if (!stored || !Array.isArray(stored.fields) || stored.at <= serverVersion) return false;
    var byName = {};
    stored.fields.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    form.querySelectorAll('input[name], textarea[name], select[name]').forEach(function (input) {
      if (input.name === '_csrf') return;
      var values = byName[input.name] || [];
      if (input.type === 'radio' || input.type === 'checkbox') input.checked = values.indexOf(input.value) >= 0;
      else input.value = values.length ? values[0] : '';
    });
    return true;
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  form.addEventListener('submit', function () { forget(); dirty = false; if (timer) clearTimeout(timer); });
  window.addEventListener('online', function () { if (dirty) save(); });
  window.addEventListener('pagehide', function () {
    if (!dirty) return;
    keep();
    if (navigator.sendBeacon) navigator.sendBeacon('/responder/borrador', body());
  });

  if (restore()) {
    applyConditions();
    say('Se recuperaron cambios que no se habían guardado en el servidor; guardándolos…');
    dirty = true;
    save();
  } else {
    applyConditions();
    say('Sus respuestas se guardan solas unos segundos después de cada cambio.');
  }
})();
