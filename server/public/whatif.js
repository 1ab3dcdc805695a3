// «¿Y si…?»: updates the shares as sliders move and, after a pause, asks the API for the new ranks;
// the page works without this script (the form recalculates on the server).
(function () {
  'use strict';
  var form = document.querySelector('form.whatif');
  if (!form) return;
  var edition = form.getAttribute('data-edition');
  var table = document.querySelector('[data-results] tbody');
  var status = document.querySelector('[data-status]');
  var link = document.querySelector('[data-link]');
  var timer = null;
  var BY = { entidad: 'entity', tipo: 'type', nivel: 'level' };
  var number = new Intl.NumberFormat('es-MX', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

  function cell(text, cls) {
    var td = document.createElement('td');
    td.className = 'num' + (cls ? ' ' + cls : '');
    td.textContent = text;
    return td;
  }

  function render(result) {
    table.textContent = '';
    result.groups.forEach(function (g) {
      var tr = document.createElement('tr');
      tr.appendChild(cell(g.variant.rank === null ? '' : String(g.variant.rank)));
      var th = document.createElement('th');
      th.scope = 'row';
      th.textContent = g.group;
      tr.appendChild(th);
      tr.appendChild(cell(String(g.n)));
      tr.appendChild(cell(g.variant.value === null ? 'sin dato' : number.format(g.variant.value)));
      tr.appendChild(cell(g.official.value === null ? 'sin dato' : number.format(g.official.value)));
      tr.appendChild(cell(g.official.rank === null ? '' : String(g.official.rank)));
      var c = g.rankChange;
      tr.appendChild(cell(c === null ? 'sin dato' : c > 0 ? '▲ ' + c : c < 0 ? '▼ ' + -c : '=', 'change-' + (c === null || c === 0 ? 'same' : c > 0 ? 'up' : 'down')));
      table.appendChild(tr);
    });
  }

  function update() {
    var variant = {};
    var params = new URLSearchParams();
    var por = form.querySelector('select[name="por"]').value;
    params.set('por', por);
    form.querySelectorAll('input[type="range"]').forEach(function (input) {
      var parts = input.name.split('.');
      var node = parts[0];
      var first = input.name.slice(node.length + 1);
      var share = Math.round(Number(input.value) * 100) / 100;
      var fieldset = input.closest('fieldset');
      fieldset.querySelector('[data-first]').textContent = Math.round(share * 100) + ' %';
      fieldset.querySelector('[data-second]').textContent = Math.round((1 - share) * 100) + ' %';
      var second = fieldset.getAttribute('data-second-id');
      variant[node] = variant[node] || {};
      variant[node][first] = share;
      params.set(input.name, share.toFixed(2));
    });
    return { variant: variant, params: params, by: BY[por] || 'entity' };
  }

  function request() {
    var state = update();
    var url = '/resultados/' + edition + '/y-si?' + state.params.toString();
    history.replaceState(null, '', url);
    link.href = url;
    link.textContent = url;
    // The second component of each node takes the rest of the weight.
    form.querySelectorAll('fieldset[data-second-id]').forEach(function (fieldset) {
      var input = fieldset.querySelector('input[type="range"]');
      var node = input.name.split('.')[0];
      state.variant[node][fieldset.getAttribute('data-second-id')] = Math.round((1 - Number(input.value)) * 100) / 100;
    });
    status.textContent = 'Calculando…';
    fetch('/api/v1/editions/' + encodeURIComponent(edition) + '/what-if?by=' + state.by, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(state.variant),
    })
      .then(function (res) {
        if (res.status === 429) throw new Error('Demasiadas consultas seguidas; espere un minuto.');
        if (!res.ok) throw new Error('No se pudo calcular (' + res.status + ').');
        return res.json();
      })
      .then(function (result) {
        render(result);
        status.textContent = 'Listo.';
      })
      .catch(function (error) {
        status.textContent = error.message;
      });
  }

  form.addEventListener('input', function () {
    update();
    clearTimeout(timer);
    timer = setTimeout(request, 400);
  });
  form.addEventListener('change', function () {
    clearTimeout(timer);
    timer = setTimeout(request, 100);
  });
})();
