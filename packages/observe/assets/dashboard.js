// The Shoal dashboard: plain DOM and uPlot (served by the node, no CDN). It reads `/events`
// (Server-Sent Events through fetch, so a bearer token can travel in a header, never in the
// URL) and redraws on each picture of the cluster, about once a second.

const WINDOW_S = 300;
const $ = (selector) => document.querySelector(selector);
const text = (value) => document.createTextNode(String(value));

function cell(value, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (value instanceof Node) td.append(value);
  else td.append(text(value));
  return td;
}

function badge(label, className) {
  const span = document.createElement('span');
  span.className = `badge ${className}`;
  span.textContent = label;
  return span;
}

function fill(table, rows) {
  const body = table.querySelector('tbody');
  body.replaceChildren(
    ...rows.map((cells) => {
      const tr = document.createElement('tr');
      tr.append(...cells);
      return tr;
    }),
  );
}

const ago = (ms) =>
  ms === null || ms === undefined ? '—' : ms < 1000 ? `${ms} ms ago` : `${(ms / 1000).toFixed(1)} s ago`;
const short = (id) => (id.length > 16 ? `${id.slice(0, 12)}…` : id);

// ---- charts: one series per line, the last five minutes ----

function chart(element, title, series) {
  const data = [[], ...series.map(() => [])];
  const plot = new uPlot(
    {
      title,
      width: Math.max(280, element.clientWidth || 360),
      height: 180,
      scales: { x: { time: true } },
      series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 2 }))],
      axes: [{}, { size: 60 }],
    },
    data,
    element,
  );
  return {
    push(time, values) {
      data[0].push(time);
      for (const [i, value] of values.entries()) data[i + 1].push(value);
      while (data[0].length > 0 && data[0][0] < time - WINDOW_S) for (const column of data) column.shift();
      plot.setData(data);
    },
  };
}

const charts = {
  bytes: chart($('#chart-bytes'), 'bytes/s', [
    ['in', '#1f77b4'],
    ['out', '#ff7f0e'],
  ]),
  messages: chart($('#chart-messages'), 'messages/s', [
    ['in', '#1f77b4'],
    ['out', '#ff7f0e'],
  ]),
  drops: chart($('#chart-drops'), 'drops/s', [['dropped', '#c0392b']]),
};

const sum = (side, field) => Object.values(side).reduce((total, counter) => total + counter[field], 0);
let previous;

function plotTraffic(view) {
  const now = {
    t: view.at / 1000,
    bytesIn: sum(view.traffic.received, 'bytes'),
    bytesOut: sum(view.traffic.sent, 'bytes'),
    messagesIn: sum(view.traffic.received, 'messages'),
    messagesOut: sum(view.traffic.sent, 'messages'),
    drops: Object.values(view.drops).reduce((a, b) => a + b, 0),
  };
  if (previous !== undefined && now.t > previous.t) {
    const rate = (key) => Math.max(0, (now[key] - previous[key]) / (now.t - previous.t));
    charts.bytes.push(now.t, [rate('bytesIn'), rate('bytesOut')]);
    charts.messages.push(now.t, [rate('messagesIn'), rate('messagesOut')]);
    charts.drops.push(now.t, [rate('drops')]);
  }
  previous = now;
}

// ---- tables ----

function render(view) {
  $('#node').textContent = `node ${view.id} · ${view.mode} · ${view.state}`;
  const status = $('#status');
  status.textContent = view.ready ? 'ready' : 'not ready';
  status.className = `badge ${view.ready ? 'ready' : 'not-ready'}`;
  $('#leader').textContent = `leader: ${view.leader === view.id ? 'this node' : view.leader}`;
  fill(
    $('#members'),
    view.members.map((m) => [
      cell(`${m.id}${m.id === view.leader ? ' ★' : ''}`, m.self ? 'id me' : 'id'),
      cell(badge(m.state, m.state)),
      cell(m.incarnation),
      cell(m.address ?? '—'),
      cell(ago(m.lastContactMs)),
    ]),
  );
  fill(
    $('#channels'),
    view.channels.map((c) => [
      cell(c.name, 'id'),
      cell(c.maps),
      cell(c.streams),
      cell(c.entries),
      cell(
        c.peers.length === 0
          ? badge('no peer yet', '')
          : c.agreed
            ? badge('agree', 'agree')
            : badge('catching up', 'lagging'),
      ),
    ]),
  );
  fill(
    $('#lag'),
    view.channels.flatMap((c) =>
      c.peers.map((p) => [
        cell(c.name, 'id'),
        cell(short(p.peer), 'id'),
        cell(p.weLackEntries + p.weLackWriters),
        cell(p.theyLack === 0 ? 0 : `${p.theyLack} (${(p.theyLackBytes / 1024).toFixed(1)} KiB)`),
        cell(ago(p.lastDigestAgo)),
      ]),
    ),
  );
  plotTraffic(view);
}

function addItem(item) {
  const li = document.createElement('li');
  const time = document.createElement('span');
  time.className = 'time';
  time.textContent = new Date(item.at).toLocaleTimeString();
  const what =
    item.peer === undefined
      ? `${item.type} ${item.message ?? ''}`
      : `${item.type} ${item.peer}${item.incarnation === undefined ? '' : ` (incarnation ${item.incarnation})`}`;
  li.append(time, text(what));
  li.dataset.type = item.type;
  $('#feed').prepend(li);
  while ($('#feed').children.length > 200) $('#feed').lastChild.remove();
}

// ---- the event stream ----

async function connect() {
  const token = sessionStorage.getItem('shoal-token');
  const response = await fetch('events', { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (response.status === 401) {
    $('#login').hidden = false;
    $('#node').textContent = 'token required';
    return;
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: (.*)$/m.exec(message)?.[1];
      const data = JSON.parse(/^data: (.*)$/m.exec(message)?.[1] ?? 'null');
      if (type === 'view') render(data);
      else if (type === 'item') addItem(data);
      else if (type === 'feed') for (const item of data) addItem(item);
      end = buffer.indexOf('\n\n');
    }
  }
  throw new Error('the node closed the stream');
}

function run() {
  connect().catch(() => {
    $('#status').textContent = 'disconnected';
    $('#status').className = 'badge not-ready';
    setTimeout(run, 2000);
  });
}

$('#login').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem('shoal-token', $('#token').value);
  $('#login').hidden = true;
  run();
});
run();
