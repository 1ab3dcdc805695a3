// Admin page of background jobs: while a job is queued or running, reload the table every 2 seconds.
(function () {
  'use strict';
  const INTERVAL_MS = 2000;
  async function refresh() {
    const current = document.getElementById('trabajos');
    if (!current || current.dataset.open !== '1') return;
    try {
      const res = await fetch('/admin/trabajos?parcial=1', { headers: { accept: 'text/html' }, credentials: 'same-origin' });
      if (res.ok) {
        const holder = document.createElement('div');
        holder.innerHTML = await res.text();
        const next = holder.querySelector('#trabajos');
        if (next) current.replaceWith(next);
      }
    } catch (error) {
      // Offline for a moment: try again on the next tick.
    }
    setTimeout(refresh, INTERVAL_MS);
  }
  setTimeout(refresh, INTERVAL_MS);
})();
