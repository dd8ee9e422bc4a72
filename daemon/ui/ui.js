// netbootd's status page: /ui/state once, then /ui/events (Server-Sent
// Events).  Every string from the daemon goes into the page as text
// (textContent), never as markup: a label "<script>" stays text.
'use strict';

const MAX_FEED = 100;
const machines = new Map(); // MAC -> machine JSON, as in /ui/state
const seen = new Map(); // MAC -> the event kinds and states the stream brought, in order
let received = 0;

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function cell(tr, text, cls) {
  const td = el('td', cls, text === undefined || text === null || text === '' ? '-' : text);
  tr.appendChild(td);
  return td;
}

function when(ms) {
  if (!ms) return '-';
  const d = new Date(ms);
  const s = Math.round((Date.now() - ms) / 1000);
  const t = d.toLocaleTimeString();
  if (s < 0 || s > 86400) return d.toLocaleString();
  return s < 60 ? t + ' (' + s + ' s ago)' : t;
}

function bytes(n) {
  if (!n) return '-';
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + ' ' + u[i];
}

function lifecycle(m) {
  return m.lifecycle && typeof m.lifecycle.state === 'string' ? m.lifecycle.state : '-';
}

function eventText(ev) {
  if (!ev) return '-';
  let s = ev.kind + (ev.detail ? ' ' + ev.detail : '');
  if (ev.total) s += ' ' + (ev.complete ? bytes(ev.total) : bytes(ev.bytes) + '/' + bytes(ev.total));
  return s;
}

function fill(id, rows, make) {
  const tbody = document.querySelector('#' + id + ' tbody');
  const n = document.getElementById('n-' + id);
  tbody.replaceChildren(...rows.map(make));
  if (n) n.textContent = '(' + rows.length + ')';
}

function machineRow(m) {
  const tr = el('tr');
  const state = lifecycle(m);
  const ev = m.last_event;
  tr.dataset.mac = m.mac;
  tr.dataset.state = state;
  tr.dataset.event = ev ? ev.kind : '-';
  tr.dataset.seen = (seen.get(m.mac) || []).join(' ');
  cell(tr, m.mac, 'mono nowrap');
  const st = cell(tr, state, 'state state-' + state);
  if (m.lifecycle && m.lifecycle.error) st.title = String(m.lifecycle.error);
  else if (m.lifecycle && m.lifecycle.since) st.title = 'since ' + new Date(m.lifecycle.since).toLocaleString();
  cell(tr, eventText(ev), 'event');
  cell(tr, ev ? when(ev.time) : '-', 'nowrap');
  cell(tr, bootImage(m), 'image');
  cell(tr, m.profile);
  const labels = cell(tr, '', 'labels');
  const keys = m.labels ? Object.keys(m.labels) : [];
  if (keys.length) labels.textContent = '';
  for (const k of keys) labels.appendChild(el('span', 'label', k + '=' + m.labels[k]));
  const logs = m.logs || [];
  const last = logs.length ? logs[logs.length - 1] : null;
  const lg = cell(tr, last ? last.msg : '-', 'log');
  if (last) lg.title = logs.map((l) => l.msg).join('\n');
  return tr;
}

// As `netbootctl machines`: the assigned image, else the one it boots now and
// why: "kairos (default)", "kairos (profile)", "kairos (group lab)".
function bootImage(m) {
  const b = m.boot || {};
  if (m.image || !b.image) return m.image;
  if (b.from === 'group' && b.group) return b.image + ' (group ' + b.group + ')';
  if (b.from && b.from !== 'assigned') return b.image + ' (' + b.from + ')';
  return b.image;
}

function renderMachines(flashMac) {
  const list = [...machines.values()].sort((a, b) => a.mac.localeCompare(b.mac));
  fill('machines', list, machineRow);
  if (flashMac) {
    const tr = document.querySelector('#machines tr[data-mac="' + CSS.escape(flashMac) + '"]');
    if (tr) tr.classList.add('flash');
  }
}

function imageRow(i) {
  const tr = el('tr');
  tr.dataset.image = i.name;
  cell(tr, i.name, 'mono');
  let state = i.state || '-';
  if (i.instances) state += ' (' + Object.keys(i.instances).map((k) => k + ': ' + i.instances[k]).join(', ') + ')';
  cell(tr, state);
  const src = i.source || {};
  cell(tr, (src.type || '') + (src.ref || src.path ? ' ' + (src.ref || src.path) : ''), 'mono');
  cell(tr, i.assigned);
  let size = 0;
  for (const f of Object.values(i.files || {})) size += f && f.size ? f.size : 0;
  cell(tr, bytes(size), 'nowrap');
  return tr;
}

function profileRow(p) {
  const tr = el('tr');
  cell(tr, p.name, 'mono');
  cell(tr, p.image);
  cell(tr, p.action);
  cell(tr, p.config);
  return tr;
}

function groupRow(g) {
  const tr = el('tr');
  cell(tr, g.name, 'mono');
  cell(tr, g.profile);
  cell(tr, g.priority);
  const m = g.match || {};
  const parts = [];
  for (const k of ['mac', 'uuid', 'arch', 'interface']) if (m[k]) parts.push(k + '=' + m[k]);
  for (const k of Object.keys(m.labels || {})) parts.push(k + '=' + m.labels[k]);
  cell(tr, parts.join(' '), 'mono');
  return tr;
}

function feedPush(id, li, front) {
  const ol = document.getElementById(id);
  if (front) ol.prepend(li); else ol.appendChild(li);
  while (ol.children.length > MAX_FEED) ol.lastChild.remove();
}

function eventItem(ev) {
  const li = el('li', null, new Date(ev.time).toLocaleTimeString() + '  ' + (ev.mac || ev.client || '?') + '  ' + eventText(ev));
  li.dataset.kind = ev.kind;
  return li;
}

function logItem(l, mac) {
  const who = l.hostname || mac || l.mac || '';
  const li = el('li', 'sev-' + l.severity, new Date(l.time).toLocaleTimeString() + '  ' + who + (l.app ? ' ' + l.app : '') + ': ' + l.msg);
  return li;
}

function applyState(s) {
  machines.clear();
  for (const m of s.machines || []) machines.set(m.mac, m);
  renderMachines();
  fill('images', s.images || [], imageRow);
  fill('profiles', s.profiles || [], profileRow);
  fill('groups', s.groups || [], groupRow);
  document.getElementById('events').replaceChildren(...(s.events || []).slice().reverse().map(eventItem));
  const logs = [];
  for (const m of s.machines || []) for (const l of m.logs || []) logs.push([l, m.mac]);
  logs.sort((a, b) => b[0].time - a[0].time);
  document.getElementById('logs').replaceChildren(...logs.map(([l, mac]) => logItem(l, mac)));
  document.getElementById('instance').textContent =
    'version ' + s.version + (s.instance ? ', instance ' + s.instance : '');
  document.body.dataset.ready = '1';
}

async function load() {
  try {
    const r = await fetch('state', { cache: 'no-store' });
    if (r.ok) applyState(await r.json());
  } catch (e) {
    // the stream's error handler shows that we are offline
  }
}

function live(on) {
  const b = document.getElementById('live');
  b.textContent = on ? 'live' : 'reconnecting';
  b.className = 'badge ' + (on ? 'on' : 'off');
  document.body.dataset.live = on ? '1' : '0';
}

function onBoot(msg) {
  const d = JSON.parse(msg.data);
  received++;
  document.body.dataset.received = String(received);
  if (d.machine && d.machine.mac) {
    machines.set(d.machine.mac, d.machine);
    const h = seen.get(d.machine.mac) || [];
    h.push(d.event ? d.event.kind : '?', 'state:' + lifecycle(d.machine));
    seen.set(d.machine.mac, h.slice(-200));
  }
  renderMachines(d.machine ? d.machine.mac : null);
  if (d.event) feedPush('events', eventItem(d.event), true);
}

function onLog(msg) {
  const l = JSON.parse(msg.data);
  received++;
  document.body.dataset.received = String(received);
  feedPush('logs', logItem(l), true);
  const m = machines.get(l.mac);
  if (m) {
    m.logs = (m.logs || []).concat([l]).slice(-5);
    renderMachines();
  }
}

function connect() {
  const es = new EventSource('events');
  es.addEventListener('open', () => { live(true); load(); });
  es.addEventListener('error', () => live(false));
  es.addEventListener('boot', onBoot);
  es.addEventListener('log', onLog);
}

load();
connect();
setInterval(load, 30000); // images and the fleet change without boot events
