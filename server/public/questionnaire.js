// Progressive enhancement of the questionnaire form; the page works without it.
// - shows an item only while its condition holds (the server decides again on submit);
// - saves a draft in the background a moment after each change, sending the revision the page
//   shows: when the answers changed elsewhere (409) nothing is overwritten and the page offers the
//   «su versión / versión guardada» choice;
// - keeps a copy of what the server has not confirmed in this browser (localStorage), so nothing
//   typed is lost on a network hiccup, a rejected answer or when the page is closed.
(function () {
  'use strict';
  // The «su versión / versión guardada» page: once the person has chosen, the browser's copy is done.
  var choice = document.querySelector('form[data-draft-key][data-conflict]');
  if (choice) {
    choice.addEventListener('submit', function () {
      try { localStorage.removeItem(choice.getAttribute('data-draft-key')); } catch (e) { /* ignore */ }
    });
  }
  // Pages that show the answers stored (the confirmation, the receipt, read-only answers): the copy is done.
  // The key is the invitation's prefix: the copies of every section page (prefix + "-s<N>") go too.
  var done = document.querySelector('[data-draft-confirmed][data-draft-key]');
  if (done) {
    var prefix = done.getAttribute('data-draft-key');
    try {
      Object.keys(localStorage).forEach(function (k) { if (k === prefix || k.indexOf(prefix + '-s') === 0) localStorage.removeItem(k); });
    } catch (e) { /* ignore */ }
  }
  var form = document.getElementById('cuestionario');
  if (!form) return;
  var statusLine = document.getElementById('autoguardado');
  var key = form.getAttribute('data-draft-key');
  var revision = Number(form.getAttribute('data-revision')) || 0;
  var revisionField = form.querySelector('input[name="baseRevision"]');
  var csrf = form.querySelector('input[name="_csrf"]').value;
  var conflictBox = document.getElementById('conflicto');
  var confirmedRevision = form.getAttribute('data-confirmed-revision');
  var timer = null;
  var saving = false;
  var dirty = false;
  var conflicted = false;
  var pendingSubmit = null;
  var NOT_ANSWERS = { _csrf: true, baseRevision: true, action: true };

  function say(text) {
    if (statusLine) statusLine.textContent = text;
  }

  // Conditions live in conditions.js (also used by the citizen logs); settle them after restoring values.
  function applyConditions() {
    if (window.mgaConditions) window.mgaConditions.apply(form);
  }

  // ---- drafts ----
  function snapshot() {
    var pairs = [];
    new FormData(form).forEach(function (value, name) {
      if (!NOT_ANSWERS[name] && typeof value === 'string') pairs.push([name, value]);
    });
    return pairs;
  }
  function fieldNames() {
    var names = {};
    form.querySelectorAll('input[name], textarea[name], select[name]').forEach(function (input) {
      if (!NOT_ANSWERS[input.name]) names[input.name] = true;
    });
    return Object.keys(names);
  }
  function valuesByName(pairs) {
    var byName = {};
    pairs.forEach(function (pair) { (byName[pair[0]] = byName[pair[0]] || []).push(pair[1]); });
    return byName;
  }
  function read() {
    try {
      var stored = JSON.parse(localStorage.getItem(key) || 'null');
      return stored && stored.v === 2 && Array.isArray(stored.names) ? stored : null;
    } catch (e) { return null; }
  }
  function write(copy) {
    try { localStorage.setItem(key, JSON.stringify(copy)); } catch (e) { /* storage full or disabled: the server copy still counts */ }
  }
  function forget() {
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }
  // The whole form, on top of the revision the page last confirmed.
  function keep() {
    write({ v: 2, at: Date.now(), baseRevision: revision, names: fieldNames(), fields: snapshot() });
  }
  // Only the named fields (answers the server did not store), on top of the given revision.
  function keepOnly(names, base) {
    var wanted = {};
    names.forEach(function (n) { wanted[n] = true; });
    var fields = snapshot().filter(function (pair) { return wanted[pair[0]]; });
    if (names.length === 0) return forget();
    write({ v: 2, at: Date.now(), baseRevision: base, names: names, fields: fields });
  }
  // "requests[0].dateFiled" (the engine's path) → "requests[0][dateFiled]" (the field's name).
  function nameOf(path) {
    return path.replace(/\[(\d+)\]\.([A-Za-z0-9_]+(?::evidence)?)$/, '[$1][$2]');
  }
  function body() {
    var params = new URLSearchParams();
    snapshot().forEach(function (pair) { params.append(pair[0], pair[1]); });
    params.append('baseRevision', String(revision));
    params.append('_csrf', csrf);
    return params;
  }
  function setRevision(value) {
    revision = value;
    if (revisionField) revisionField.value = String(value);
  }
  function updateProgress(progress) {
    var bar = document.getElementById('avance');
    var text = document.getElementById('avance-texto');
    if (bar) bar.value = progress.percent;
    if (text) text.textContent = progress.requiredAnswered + ' de ' + progress.required + ' preguntas obligatorias respondidas (' + progress.percent + ' %)';
  }
  function showConflict() {
    conflicted = true;
    if (timer) clearTimeout(timer);
    say('No se guardó: sus respuestas cambiaron en otra ventana. Sus cambios siguen aquí y en este navegador.');
    if (conflictBox) {
      conflictBox.hidden = false;
      conflictBox.focus();
    }
  }
  function time() {
    return new Date().toLocaleTimeString('es-MX', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  }
  function save() {
    timer = null;
    if (conflicted) return;
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
        var json = result.json || {};
        if (result.ok) {
          setRevision(json.revision);
          updateProgress(json.progress);
          var rejected = json.rejected || [];
          // Only what the server confirmed leaves this browser's copy.
          if (dirty) keep();
          else keepOnly(rejected.map(function (e) { return nameOf(e.field); }), revision);
          if (rejected.length) {
            say('Se guardaron ' + json.saved + ' respuesta(s) a las ' + time() + '; ' + rejected.length + ' no se guardaron (' +
              rejected.map(function (e) { return (e.label || e.field) + ': ' + e.reason; }).join('; ') + '). Siguen en este navegador; corríjalas o pulse «Guardar borrador» para verlas marcadas.');
          } else {
            say('Borrador guardado automáticamente a las ' + time() + '.');
          }
        } else if (result.status === 409 && json.code === 'stale_revision') {
          showConflict();
        } else if (result.status === 400 && (json.errors || []).some(function (e) { return e.field === 'reason' || /:motivo$/.test(e.field); })) {
          say('Escriba junto a cada respuesta cambiada el motivo del cambio para guardarla en el servidor; mientras tanto se guarda en este navegador.');
        } else if (result.status === 409) {
          say('No se pudo guardar: las respuestas ya no se pueden cambiar ahora. Recargue la página para ver por qué; sus cambios siguen en este navegador.');
        } else {
          say('No se pudo guardar en el servidor (' + result.status + '); sus respuestas siguen en este navegador.');
        }
      })
      .catch(function () {
        say('Sin conexión: sus respuestas se guardaron en este navegador y se enviarán al reconectar.');
        dirty = true;
      })
      .finally(function () {
        saving = false;
        if (pendingSubmit) {
          var submitter = pendingSubmit.submitter;
          pendingSubmit = null;
          if (submitter && form.requestSubmit) form.requestSubmit(submitter);
          else if (form.requestSubmit) form.requestSubmit();
          else form.submit();
        }
      });
  }
  function changed() {
    dirty = true;
    applyConditions();
    keep();
    if (conflicted) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }
  function setField(input, values) {
    if (input.type === 'radio' || input.type === 'checkbox') input.checked = values.indexOf(input.value) >= 0;
    else input.value = values.length ? values[0] : '';
  }
  // Compares the copy with what the server rendered: values the page shows (and does not mark as
  // invalid) are confirmed and leave the copy; the others are put back in the form. Returns whether
  // anything unseen by the server was restored.
  function restore() {
    var stored = read();
    if (!stored) return false;
    if (confirmedRevision !== null) {
      // This page answers this browser's own post: the server stored it, except the fields it marks invalid.
      var invalid = {};
      form.querySelectorAll('[aria-invalid="true"][name]').forEach(function (input) { invalid[input.name] = true; });
      keepOnly(Object.keys(invalid), revision);
      return false;
    }
    var mine = valuesByName(stored.fields);
    var page = valuesByName(snapshot());
    var invalidKept = [];
    var unseen = [];
    stored.names.forEach(function (name) {
      var a = (mine[name] || []).join('\u0000');
      var b = (page[name] || []).join('\u0000');
      var invalid = form.querySelector('[name="' + name.replace(/"/g, '\\"') + '"][aria-invalid="true"]');
      if (a !== b) unseen.push(name);
      else if (invalid) invalidKept.push(name);
    });
    if (unseen.length === 0) {
      // The page shows everything; the invalid answers stay in this browser until fixed.
      keepOnly(invalidKept, revision);
      return false;
    }
    form.querySelectorAll('input[name], textarea[name], select[name]').forEach(function (input) {
      if (unseen.indexOf(input.name) >= 0) setField(input, mine[input.name] || []);
    });
    // Unsaved edits were made on top of the copy's revision: saving them may show the conflict view.
    setRevision(stored.baseRevision);
    return true;
  }

  form.addEventListener('input', changed);
  form.addEventListener('change', changed);
  form.addEventListener('submit', function (event) {
    // A background save still on its way would make this post look stale (its revision is about
    // to change): wait for it, then post with the revision it confirmed.
    if (saving) {
      event.preventDefault();
      pendingSubmit = { submitter: event.submitter || null };
      return;
    }
    // The copy stays until the next page shows the values stored: only then are they confirmed.
    keep();
    dirty = false;
    if (timer) clearTimeout(timer);
  });
  window.addEventListener('online', function () { if (dirty) save(); });
  window.addEventListener('pagehide', function () {
    if (!dirty || conflicted) return;
    keep();
    if (navigator.sendBeacon) navigator.sendBeacon('/responder/borrador', body());
  });

  var summary = document.getElementById('resumen-errores');
  if (summary) summary.focus();
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
