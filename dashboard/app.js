// The gateway's live dashboard: polls the local endpoint every 2 s and redraws.
// window.dashboardState (mirrored as data-* attributes on <body>) lets tests see what is drawn.
'use strict';

const POLL_MS = 2000;
const RECENT_ALERT_MS = 5 * 60 * 1000;  // alerts this close to the newest one mark their device
const ALERT_ROWS = 25;
const COLORS = ['#2563eb', '#f59e0b', '#10b981', '#8b5cf6', '#ef4444', '#0891b2', '#db2777', '#65a30d'];

const state = (window.dashboardState = {
  polls: 0,
  failures: 0,
  lastError: '',
  salesPoints: 0,
  partialWindows: 0,
  stores: 0,
  shareSlices: 0,
  shareDrawn: false,
  alertRows: 0,
  devices: 0,
  highlightedDevices: 0,
});

const storeColors = new Map();
function colorOf(store) {
  if (!storeColors.has(store)) storeColors.set(store, COLORS[storeColors.size % COLORS.length]);
  return storeColors.get(store);
}

async function getJson(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function hhmm(iso) {
  return typeof iso === 'string' && iso.length >= 16 ? iso.slice(11, 16) : String(iso);
}

// --- sales charts ---------------------------------------------------------------------------

let salesChart = null;
let shareChart = null;

// A window that began before the run started holds only part of its sales (a gateway started
// at 12:00:48 has 12 s of the 12:00 window): left out of both charts, and said under them.
function completeWindows(aggregates, runStart) {
  const start = runStart ? Date.parse(runStart) : NaN;
  if (Number.isNaN(start)) return aggregates;
  const complete = aggregates.filter((a) => Date.parse(a.window_start) >= start);
  const partial = new Set(aggregates.filter((a) => !complete.includes(a)).map((a) => a.window_start));
  state.partialWindows = partial.size;
  document.getElementById('partial-note').textContent =
    partial.size > 0
      ? `Not shown: ${[...partial].map(hhmm).join(', ')} (began before the gateway started, partial).`
      : '';
  return complete;
}

function drawSales(aggregates) {
  const windows = [...new Set(aggregates.map((a) => a.window_start))].sort();
  const stores = [...new Set(aggregates.map((a) => a.store_id))].sort();
  const index = new Map(windows.map((w, i) => [w, i]));
  const totals = new Map(stores.map((s) => [s, 0]));
  const series = new Map(stores.map((s) => [s, new Array(windows.length).fill(null)]));
  for (const a of aggregates) {
    series.get(a.store_id)[index.get(a.window_start)] = a.aggregated_sales;
    totals.set(a.store_id, totals.get(a.store_id) + a.aggregated_sales);
  }
  const labels = windows.map((w) => hhmm(w));
  const datasets = stores.map((s) => ({
    label: s,
    data: series.get(s),
    borderColor: colorOf(s),
    backgroundColor: colorOf(s),
    spanGaps: true,
    tension: 0.2,
  }));
  if (!salesChart) {
    salesChart = new Chart(document.getElementById('sales-chart'), {
      type: 'line',
      data: { labels, datasets },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        scales: {
          x: { title: { display: true, text: 'window start (UTC)' } },
          y: { beginAtZero: true, title: { display: true, text: 'sales' } },
        },
      },
    });
  } else {
    salesChart.data.labels = labels;
    salesChart.data.datasets = datasets;
    salesChart.update();
  }
  state.salesPoints = datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0);
  state.stores = stores.length;

  const shareData = {
    labels: stores,
    datasets: [{ data: stores.map((s) => totals.get(s)), backgroundColor: stores.map(colorOf) }],
  };
  if (!shareChart) {
    shareChart = new Chart(document.getElementById('share-chart'), {
      type: 'doughnut',
      data: shareData,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          legend: { position: 'right' },
          tooltip: {
            callbacks: {
              label: (c) => {
                const sum = c.dataset.data.reduce((a, b) => a + b, 0) || 1;
                return `${c.label}: ${c.parsed} (${((100 * c.parsed) / sum).toFixed(1)} %)`;
              },
            },
          },
        },
      },
    });
  } else {
    shareChart.data = shareData;
    shareChart.update();
  }
  state.shareSlices = stores.filter((s) => totals.get(s) > 0).length;
  state.shareDrawn = shareChart.getDatasetMeta(0).data.length === stores.length && stores.length > 0;
}

// --- alerts and the device map --------------------------------------------------------------

function recentAlertDevices(alerts) {
  const ends = alerts.map((a) => Date.parse(a.window_end)).filter((t) => !Number.isNaN(t));
  if (ends.length === 0) return new Set();
  const newest = Math.max(...ends);
  return new Set(
    alerts.filter((a) => newest - Date.parse(a.window_end) <= RECENT_ALERT_MS).map((a) => a.deviceId),
  );
}

function drawAlerts(alerts) {
  const body = document.querySelector('#alerts tbody');
  body.replaceChildren();
  const latest = alerts.slice(-ALERT_ROWS).reverse();
  for (const a of latest) {
    const tr = el('tr');
    tr.className = 'alert-row';
    tr.append(
      el('td', typeof a.window_end === 'string' ? a.window_end.slice(0, 19).replace('T', ' ') : a.window_end),
      el('td', a.store_id),
      el('td', a.deviceId, 'mono'),
      el('td', a.total_count_per_deviceid, 'num'),
      el('td', Number(a.avg_error_count).toFixed(2), 'num'),
      el('td', Number(a.std_error_count).toFixed(2), 'num'),
    );
    body.append(tr);
  }
  if (latest.length === 0) {
    const tr = el('tr');
    const td = el('td', 'no alerts');
    td.colSpan = 6;
    tr.append(td);
    body.append(tr);
  }
  state.alertRows = latest.length;
}

function drawMap(devices, alerting) {
  const canvas = document.getElementById('device-map');
  const ctx = canvas.getContext('2d');
  const w = canvas.width;
  const h = canvas.height;
  ctx.clearRect(0, 0, w, h);
  const placed = devices.filter((d) => Number.isFinite(d.lat) && Number.isFinite(d.lon));
  state.devices = placed.length;
  state.highlightedDevices = 0;
  if (placed.length === 0) {
    ctx.fillStyle = '#6b7280';
    ctx.fillText('no devices', 10, 20);
    return;
  }
  // Plain equirectangular projection of the devices' bounding box, east-west scaled by
  // cos(latitude) so distances look right, fitted into the canvas with a margin.
  const lats = placed.map((d) => d.lat);
  const lons = placed.map((d) => d.lon);
  const minLat = Math.min(...lats);
  const maxLat = Math.max(...lats);
  const minLon = Math.min(...lons);
  const maxLon = Math.max(...lons);
  const kx = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const spanX = Math.max((maxLon - minLon) * kx, 1e-6);
  const spanY = Math.max(maxLat - minLat, 1e-6);
  const margin = 30;
  const scale = Math.min((w - 2 * margin) / spanX, (h - 2 * margin) / spanY);
  const offX = (w - spanX * scale) / 2;
  const offY = (h - spanY * scale) / 2;
  const project = (d) => [offX + (d.lon - minLon) * kx * scale, h - offY - (d.lat - minLat) * scale];

  // A scale bar (1 degree of latitude is ~111 km).
  const metersPerPx = (111320 * spanY) / (spanY * scale);
  const bar = [50, 100, 200, 500, 1000, 2000, 5000, 10000].find((m) => m / metersPerPx >= 60) || 10000;
  ctx.strokeStyle = '#6b7280';
  ctx.fillStyle = '#6b7280';
  ctx.lineWidth = 2;
  ctx.beginPath();
  ctx.moveTo(10, h - 10);
  ctx.lineTo(10 + bar / metersPerPx, h - 10);
  ctx.stroke();
  ctx.font = '11px sans-serif';
  ctx.fillText(bar >= 1000 ? `${bar / 1000} km` : `${bar} m`, 12, h - 14);

  const ordered = [...placed].sort((a, b) => alerting.has(a.deviceId) - alerting.has(b.deviceId));
  for (const d of ordered) {
    const [x, y] = project(d);
    const hot = alerting.has(d.deviceId);
    ctx.beginPath();
    ctx.arc(x, y, hot ? 9 : 5, 0, 2 * Math.PI);
    ctx.fillStyle = hot ? '#dc2626' : colorOf(d.store_id);
    ctx.globalAlpha = hot ? 0.95 : 0.75;
    ctx.fill();
    ctx.globalAlpha = 1;
    if (hot) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = '#7f1d1d';
      ctx.stroke();
      state.highlightedDevices++;
    }
  }
  // Store labels at the centre of each store's devices.
  const byStore = new Map();
  for (const d of placed) {
    const [x, y] = project(d);
    const s = byStore.get(d.store_id) || { x: 0, y: 0, n: 0 };
    byStore.set(d.store_id, { x: s.x + x, y: s.y + y, n: s.n + 1 });
  }
  ctx.font = 'bold 12px sans-serif';
  ctx.fillStyle = '#111827';
  for (const [store, s] of byStore) ctx.fillText(store, s.x / s.n + 12, s.y / s.n - 12);
}

// --- status ---------------------------------------------------------------------------------

function drawStatus(status) {
  document.getElementById('gateway-id').textContent = `${status.gateway_id} v${status.version}`;
  const p = status.pipeline || {};
  document.getElementById('summary').textContent =
    `up ${status.uptime_seconds} s · watermark ${p.watermark ?? '–'}` +
    (p.completed ? ' (run completed)' : '') +
    ` · sales in ${p.sales_in} · access in ${p.access_in} · alerts ${p.alerts}`;
  document.getElementById('buffer').textContent =
    `buffer: ${(status.buffer_bytes / 1048576).toFixed(2)} MiB on disk`;
  const body = document.querySelector('#sinks tbody');
  body.replaceChildren();
  for (const s of status.sinks || []) {
    const tr = el('tr');
    tr.append(
      el('td', s.name),
      el('td', s.state, 'state-' + s.state),
      el('td', s.backlog, 'num'),
      el('td', s.delivered, 'num'),
      el('td', s.last_error || '–'),
    );
    body.append(tr);
  }
}

// --- polling --------------------------------------------------------------------------------

function publish() {
  for (const [k, v] of Object.entries(state)) {
    document.body.dataset[k] = String(v);
  }
}

async function poll() {
  try {
    const [aggregates, devices, alerts, status] = await Promise.all([
      getJson('/api/v1/aggregates'),
      getJson('/api/v1/devices'),
      getJson('/api/v1/alerts'),
      getJson('/api/v1/status'),
    ]);
    drawSales(completeWindows(aggregates, (status.pipeline || {}).run_start));
    drawAlerts(alerts);
    drawMap(devices, recentAlertDevices(alerts));
    drawStatus(status);
    state.lastError = '';
    document.getElementById('error').textContent = '';
  } catch (e) {
    state.failures++;
    state.lastError = String(e && e.message ? e.message : e);
    document.getElementById('error').textContent = 'update failed: ' + state.lastError;
  }
  state.polls++;
  publish();
  setTimeout(poll, POLL_MS);
}

if (typeof Chart === 'undefined') {
  document.getElementById('error').textContent = 'Chart.js was not embedded in this build';
  window.Chart = class {
    constructor() {
      this.data = {};
    }
    update() {}
    getDatasetMeta() {
      return { data: [] };
    }
  };
}
poll();
