// fuseki-cdc dashboard: polls GET /$/cdc once a second, draws throughput and sink lag, and runs
// live queries over Server-Sent Events. Plain JS and SVG, no dependencies.
'use strict';

const BASE = location.pathname.replace(/\/\$\/cdc\/dashboard.*$/, '');   // Fuseki's context path
const STATUS = BASE + '/$/cdc';
const HISTORY = 120;                  // points kept per chart (seconds)
const history = {};                   // dataset -> { t: [], versions: [], lag: { sink: [] } }
let lastStatus = null;

document.getElementById('statusLink').href = STATUS;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function record(ds) {
  const h = history[ds.name] || (history[ds.name] = { t: [], versions: [], lag: {} });
  h.t.push(Date.now() / 1000);
  h.versions.push(ds.headVersion);
  for (const s of ds.sinks) (h.lag[s.name] || (h.lag[s.name] = [])).push(s.lagVersions);
  const trim = a => { while (a.length > HISTORY) a.shift(); };
  trim(h.t); trim(h.versions); Object.values(h.lag).forEach(trim);
  return h;
}

// Transactions per second between consecutive polls.
function throughput(h) {
  const out = [];
  for (let i = 1; i < h.t.length; i++) out.push((h.versions[i] - h.versions[i - 1]) / Math.max(0.001, h.t[i] - h.t[i - 1]));
  return out;
}

const COLOURS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1', '#b83280'];

// A line chart in SVG: series = [{ name, values }].
function chart(title, unit, series) {
  const W = 420, H = 120, P = 4;
  const max = Math.max(1, ...series.flatMap(s => s.values));
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  series.forEach((s, i) => {
    const n = s.values.length;
    if (n === 0) return;
    const pts = s.values.map((v, j) => `${(W - P - (n - 1 - j) * (W - 2 * P) / (HISTORY - 1)).toFixed(1)},${(H - P - v / max * (H - 2 * P)).toFixed(1)}`);
    const line = document.createElementNS(svg.namespaceURI, 'polyline');
    line.setAttribute('points', pts.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', COLOURS[i % COLOURS.length]);
    line.setAttribute('stroke-width', '2');
    line.dataset.series = s.name;
    svg.append(line);
  });
  const last = series.map(s => `${s.name}: ${s.values.length ? +s.values[s.values.length - 1].toFixed(2) : '–'}`).join(', ');
  return el('div', { class: 'chart' }, el('div', {}, title, ' ', el('span', { class: 'muted' }, `(${unit}, max ${+max.toFixed(2)}) ${last}`)), svg);
}

async function admin(ds, path, method = 'POST') {
  const r = await fetch(`${STATUS}/${encodeURIComponent(ds)}/${path}`, { method });
  if (!r.ok) alert(`${method} ${path}: ${r.status} ${await r.text()}`);
  poll();
}

function sinkRow(ds, s) {
  return el('tr', { 'data-sink': s.name },
    el('td', {}, s.name),
    el('td', {}, el('span', { class: `state state-${s.state}`, 'data-role': 'sink-state' }, s.state)),
    el('td', {}, s.cursor),
    el('td', {}, s.lagVersions, ' versions', s.lagSeconds != null ? ` / ${s.lagSeconds} s` : ''),
    el('td', { class: 'error' }, s.lastError ? `${s.lastError} (${s.lastErrorTime})` : ''),
    el('td', {},
      s.state === 'paused'
        ? el('button', { type: 'button', 'data-action': 'resume', onclick: () => admin(ds.name, `sinks/${encodeURIComponent(s.name)}/resume`) }, 'Resume')
        : el('button', { type: 'button', 'data-action': 'pause', onclick: () => admin(ds.name, `sinks/${encodeURIComponent(s.name)}/pause`) }, 'Pause'),
      ' ',
      el('button', { type: 'button', 'data-action': 'rewind', onclick: () => {
        const v = prompt(`Rewind sink '${s.name}': deliver again after version`, '0');
        if (v != null) admin(ds.name, `sinks/${encodeURIComponent(s.name)}/rewind?version=${encodeURIComponent(v)}`);
      } }, 'Rewind…')));
}

// A reader left behind by a sink removed from the configuration: it keeps the log from retention until removed.
function orphanRow(ds, r) {
  return el('tr', { 'data-reader': r.name },
    el('td', {}, r.name),
    el('td', {}, r.acknowledged),
    el('td', {}, `${r.heldVersions} versions / ${(r.heldBytes / 1048576).toFixed(2)} MiB`),
    el('td', {}, el('button', { type: 'button', 'data-action': 'remove-reader', onclick: () => {
      if (confirm(`Remove reader '${r.name}'? Retention may then remove the versions after ${r.acknowledged}.`))
        admin(ds.name, `readers/${encodeURIComponent(r.name)}`, 'DELETE');
    } }, 'Remove…')));
}

function render(status) {
  const root = document.getElementById('datasets');
  root.replaceChildren();
  for (const ds of status.datasets) {
    const h = record(ds);
    const lagSeries = ds.sinks.map(s => ({ name: s.name, values: h.lag[s.name] || [] }));
    root.append(el('div', { class: 'dataset', 'data-dataset': ds.name },
      el('h2', {}, `Dataset ${ds.name} `, el('span', { class: 'muted' },
        `head version ${ds.headVersion}, oldest ${ds.oldestVersion}, `
        + (ds.admin ? `log ${(ds.logBytes / 1048576).toFixed(2)} MiB, ` : '')
        + `live: ${ds.live.subscriptions} subscription(s), ${ds.live.queries} quer${ds.live.queries === 1 ? 'y' : 'ies'}`)),
      el('div', { class: 'charts' },
        chart('Throughput', 'transactions/s', [{ name: 'commits', values: throughput(h) }]),
        chart('Sink lag', 'versions', lagSeries)),
      // Sinks and snapshots are for the dataset's admins; the server sends their details to admins only.
      !ds.admin ? el('p', { class: 'muted' }, 'Sinks and snapshots: for this dataset\'s admins.') :
      ds.sinks.length === 0 ? el('p', { class: 'muted' }, 'No sinks.') :
        el('table', { class: 'sinks' },
          el('thead', {}, el('tr', {}, ...['Sink', 'State', 'Cursor', 'Lag', 'Last error', ''].map(t => el('th', {}, t)))),
          el('tbody', {}, ...ds.sinks.map(s => sinkRow(ds, s)))),
      !ds.admin || ds.orphanedReaders.length === 0 ? '' : el('div', { class: 'orphans' },
        el('p', {}, 'Readers no configured sink owns, left by a removed sink (see docs/operations.md, Removing a sink):'),
        el('table', { class: 'sinks' },
          el('thead', {}, el('tr', {}, ...['Reader', 'Acknowledged', 'Keeps from retention', ''].map(t => el('th', {}, t)))),
          el('tbody', {}, ...ds.orphanedReaders.map(r => orphanRow(ds, r))))),
      !ds.admin ? '' : el('p', {}, el('button', { type: 'button', onclick: () => admin(ds.name, 'snapshot').then(() => {}) }, 'Write snapshot'), ' ',
        el('a', { href: `${STATUS}/${encodeURIComponent(ds.name)}/snapshot` }, 'download snapshot (RDF Patch)'))));
  }
  const sel = document.getElementById('pgDataset');
  const live = status.datasets.filter(d => d.endpoints && d.endpoints.live);
  if (sel.options.length !== live.length) {
    sel.replaceChildren(...live.map(d => el('option', { value: BASE + d.endpoints.live }, `${d.name} (${d.endpoints.live})`)));
  }
}

async function poll() {
  try {
    const r = await fetch(STATUS, { cache: 'no-store' });
    lastStatus = await r.json();
    render(lastStatus);
    document.getElementById('conn').textContent = 'live, updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    document.getElementById('conn').textContent = 'cannot reach ' + STATUS + ': ' + e;
  }
}

// ---- Live query playground: the answer as a multiset of rows, kept up to date from SSE events.

let source = null;
let vars = [];
let rows = new Map();                 // row key -> { row, count }

function term(t) {
  if (!t) return '';
  if (t.type === 'uri') return `<${t.value}>`;
  if (t.type === 'bnode') return `_:${t.value}`;
  return JSON.stringify(t.value) + (t['xml:lang'] ? '@' + t['xml:lang'] : t.datatype && !t.datatype.endsWith('#string') ? `^^<${t.datatype}>` : '');
}
const key = row => JSON.stringify(vars.map(v => row[v] ? [row[v].type, row[v].value, row[v].datatype, row[v]['xml:lang']] : null));

function change(list, delta) {
  for (const row of list || []) {
    const k = key(row);
    const e = rows.get(k) || { row, count: 0 };
    e.count += delta;
    if (e.count > 0) rows.set(k, e); else rows.delete(k);
  }
}

function showRows(version, fresh) {
  const table = document.getElementById('pgResults');
  table.tHead.replaceChildren(el('tr', {}, ...vars.map(v => el('th', {}, '?' + v))));
  table.tBodies[0].replaceChildren(...[...rows.values()].flatMap(e =>
    Array.from({ length: e.count }, () => el('tr', { class: fresh && fresh.has(key(e.row)) ? 'added' : '' }, ...vars.map(v => el('td', {}, term(e.row[v])))))));
  document.getElementById('pgVersion').textContent = `version ${version}: ${[...rows.values()].reduce((n, e) => n + e.count, 0)} row(s)`;
}

function stop(state) {
  if (source) source.close();
  source = null;
  document.getElementById('pgRun').disabled = false;
  document.getElementById('pgStop').disabled = true;
  document.getElementById('pgState').textContent = state || 'stopped';
}

function run() {
  stop('starting');
  const endpoint = document.getElementById('pgDataset').value;
  const query = document.getElementById('pgQuery').value;
  source = new EventSource(endpoint + '?query=' + encodeURIComponent(query));
  document.getElementById('pgRun').disabled = true;
  document.getElementById('pgStop').disabled = false;
  source.addEventListener('initial', e => {
    const d = JSON.parse(e.data);
    rows = new Map();
    if (d.boolean !== undefined) { vars = ['boolean']; change([{ boolean: { type: 'literal', value: String(d.boolean) } }], 1); }
    else { vars = d.head.vars; change(d.results.bindings, 1); }
    showRows(d.version);
    document.getElementById('pgState').textContent = 'running';
  });
  source.addEventListener('update', e => {
    const d = JSON.parse(e.data);
    if (d.boolean !== undefined) { rows = new Map(); change([{ boolean: { type: 'literal', value: String(d.boolean) } }], 1); showRows(d.version); return; }
    change(d.deletions, -1);
    change(d.additions, 1);
    showRows(d.version, new Set((d.additions || []).map(key)));
  });
  source.addEventListener('error', e => {
    if (e.data) { stop('error: ' + JSON.parse(e.data).message); return; }   // the server ended the subscription
    if (source && source.readyState === EventSource.CLOSED) stop('the server refused the query (see the server log or run it with curl)');
    else document.getElementById('pgState').textContent = 'reconnecting…';
  });
}

document.getElementById('pgRun').addEventListener('click', run);
document.getElementById('pgStop').addEventListener('click', () => stop());
poll();
setInterval(poll, 1000);
