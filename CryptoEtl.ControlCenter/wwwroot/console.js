// The control center page: each section polls its API (no framework, nothing from a CDN); #market, #topics, ... show one page.
const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text ?? ''; if (cls) td.className = cls; return td; };
const row = cells => { const tr = document.createElement('tr'); tr.append(...cells); return tr; };
const svg = (name, attributes) => { const e = document.createElementNS('http://www.w3.org/2000/svg', name); for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v); return e; };
async function getJson(path) { const r = await fetch(path); if (!r.ok) throw new Error(r.statusText); return r.json(); }
const buttons = list => { const td = document.createElement('td'); for (const [text, onclick] of list) td.append(action(text, onclick).firstChild, ' '); return td; };
const action = (text, onclick) => { const button = document.createElement('button'); button.textContent = text; button.onclick = onclick; const td = document.createElement('td'); td.append(button); return td; };
function showStatus(status) {
    document.getElementById('source').textContent = status.source;
    document.getElementById('updated').textContent = new Date().toLocaleTimeString();
    document.querySelector('#services tbody').replaceChildren(...status.services.map(s => row([cell(s.name), cell(s.url), cell(s.health, s.health)])));
    const rows = [];
    for (const [group, values] of Object.entries(status.counts)) {
      for (const [name, value] of Object.entries(values)) rows.push(row([cell(`${group}: ${name}`), cell(value)]));
    }
    document.querySelector('#counts tbody').replaceChildren(...rows);
}
async function replay(stage, reason) {
  if (!confirm(`Send the ${stage} / ${reason} dead letters back to the topics they came from?`)) return;
  const response = await fetch(`/api/deadletters/replay?stage=${encodeURIComponent(stage)}&reason=${encodeURIComponent(reason)}`, { method: 'POST' });
  const body = await response.json();
  document.getElementById('replayed').textContent = response.ok ? body.message : (body.detail ?? response.statusText);
  refresh('deadletters');
}
function showDeadLetters(summary) {
    document.getElementById('deadletter-total').textContent = `${summary.total} in the dead-letter topic; the newest ${summary.read} grouped:`;
    document.querySelector('#deadletter-groups tbody').replaceChildren(...summary.groups.map(g => {
      return row([cell(g.stage), cell(g.reason), cell(g.count), cell(new Date(g.newest).toLocaleString()), action('Replay', () => replay(g.stage, g.reason))]);
    }));
    document.querySelector('#deadletters tbody').replaceChildren(...summary.newest.map(l => row([
      cell(new Date(l.failedAt).toLocaleString()), cell(`${l.stage} / ${l.reason}${l.failedAfterReplay ? ' (after a replay)' : ''}`),
      cell(l.error), cell(l.source), cell(l.preview, 'preview')])));
}
let browsing = null;
// A datetime-local input's value read as UTC, as an ISO time (or null when empty).
const utc = value => value ? new Date(value.length === 16 ? `${value}:00Z` : `${value}Z`).toISOString() : null;
function browseQuery() {
  const query = new URLSearchParams({ limit: document.getElementById('browse-limit').value || '20' });
  for (const [name, id] of [['partition', 'browse-partition'], ['offset', 'browse-offset'], ['key', 'browse-key'], ['filter', 'browse-filter']]) {
    const value = document.getElementById(id).value;
    if (value !== '') query.set(name, value);
  }
  const from = utc(document.getElementById('browse-from').value);
  if (from) query.set('from', from);
  return query;
}
async function browse(topic) {
  if (topic !== browsing) document.getElementById('browse-form').reset();
  browsing = topic;
  const query = browseQuery();
  const response = await fetch(`/api/topics/${encodeURIComponent(topic)}/messages?${query}`);
  const body = await response.json();
  document.getElementById('browse').hidden = false;
  const which = query.has('offset') ? `${body.length} records from offset ${query.get('offset')} of partition ${query.get('partition')}`
    : query.has('from') ? `${body.length} records from ${query.get('from')}` : `the newest ${body.length} records`;
  document.getElementById('browse-title').textContent = response.ok
    ? `${topic}: ${which}${query.has('key') ? ` with key ${query.get('key')}` : ''}${query.has('filter') ? ` where ${query.get('filter')}` : ''}` : `${topic}: ${body.detail ?? response.statusText}`;
  document.getElementById('browse-scanned').textContent = response.ok ? `${response.headers.get('X-Records-Scanned')} records read` : '';
  for (const format of ['jsonl', 'csv']) document.getElementById(`export-${format}`).href = `/api/topics/${encodeURIComponent(topic)}/export?format=${format}&${query}`;
  const schemas = await Promise.all((response.ok ? body : []).map(m => m.schemaId == null ? null : schemaById(m.schemaId)));
  document.querySelector('#messages tbody').replaceChildren(...(response.ok ? body : []).map((m, i) => {
    const value = document.createElement('td');
    value.className = 'preview';
    value.append(m.value ? tree(m.value, schemas[i], 'value', 0) : `${m.undecodable}: ${m.raw}`);
    const actions = action('Copy kcat', () => copy(m.kcat));
    if (m.value) actions.append(' ', action('Republish', () => openProduce(topic, m)).firstChild);
    return row([cell(`${m.partition}@${m.offset}`), cell(new Date(m.timestamp).toLocaleString()), cell(m.key),
      cell(m.headers.map(h => `${h.key}=${h.value ?? ''}`).join(' '), 'preview'), value, actions]);
  }));
}
document.getElementById('browse-form').onsubmit = e => { e.preventDefault(); if (browsing) browse(browsing); };
async function copy(text) {
  const copied = document.getElementById('copied');
  try { await navigator.clipboard.writeText(text); copied.textContent = `copied: ${text}`; } catch (e) { copied.textContent = text; }
}
// Writer schemas by id (the id in each record's wire format), for the field types of the value tree.
const schemaCache = new Map();
function schemaById(id) {
  if (!schemaCache.has(id)) schemaCache.set(id, getJson(`/api/schemas/ids/${id}`).then(s => s.schema).catch(() => null));
  return schemaCache.get(id);
}
function typeName(schema) {
  if (schema == null) return '';
  if (typeof schema === 'string') return schema;
  if (Array.isArray(schema)) return schema.map(typeName).join(' | ');
  if (schema.logicalType) return schema.logicalType;
  if (['record', 'enum', 'fixed'].includes(schema.type)) return schema.name;
  if (schema.type === 'array') return `array<${typeName(schema.items)}>`;
  if (schema.type === 'map') return `map<${typeName(schema.values)}>`;
  return typeName(schema.type);
}
// The branch of a union a value took (the record among them, for nested values).
const branch = schema => Array.isArray(schema) ? schema.find(s => typeof s === 'object' && s.type === 'record') ?? schema : schema;
// A value as a collapsible tree: objects and arrays fold (the first level open), each field labelled with its writer type.
function tree(value, schema, name, depth) {
  const label = (text, cls) => { const span = document.createElement('span'); span.className = cls; span.textContent = text; return span; };
  if (value !== null && typeof value === 'object') {
    const details = document.createElement('details');
    details.open = depth === 0;
    const summary = document.createElement('summary');
    const entries = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    summary.append(label(name, 'field'), ' ', label(typeName(schema), 'type'), ' ', label(Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`, 'count'));
    const fields = branch(schema)?.fields;
    const list = document.createElement('ul');
    list.append(...entries.map(([k, v]) => {
      const child = Array.isArray(value) ? branch(schema)?.items : fields?.find(f => f.name === k)?.type;
      const item = document.createElement('li');
      item.append(tree(v, child, String(k), depth + 1));
      return item;
    }));
    details.append(summary, list);
    return details;
  }
  const leaf = document.createElement('span');
  leaf.className = 'leaf';
  leaf.append(label(name, 'field'), ': ', label(JSON.stringify(value), value === null ? 'null' : typeof value), ' ', label(typeName(schema), 'type'));
  return leaf;
}
function openProduce(topic, record) {
  const box = document.getElementById('produce');
  box.hidden = false;
  box.dataset.topic = topic;
  document.getElementById('produce-title').textContent = record ? `Republish ${topic} ${record.partition}@${record.offset} (edit it first if you like)` : `Produce to ${topic}`;
  document.getElementById('produce-key').value = record?.key ?? '';
  document.getElementById('produce-partition').value = '';
  document.getElementById('produce-headers').value = record && record.headers.length ? JSON.stringify(Object.fromEntries(record.headers.map(h => [h.key, h.value]))) : '';
  document.getElementById('produce-value').value = JSON.stringify(record?.value ?? {}, null, 2);
  document.getElementById('produced').textContent = '';
  document.getElementById('produce-errors').replaceChildren();
  box.scrollIntoView();
}
document.getElementById('produce-form').onsubmit = async e => {
  e.preventDefault();
  const topic = document.getElementById('produce').dataset.topic, result = document.getElementById('produced'), errors = document.getElementById('produce-errors');
  errors.replaceChildren();
  let value, headers;
  try {
    value = JSON.parse(document.getElementById('produce-value').value);
    headers = document.getElementById('produce-headers').value ? JSON.parse(document.getElementById('produce-headers').value) : null;
  } catch (err) { result.textContent = `Not JSON: ${err.message}`; return; }
  const partition = document.getElementById('produce-partition').value;
  const key = document.getElementById('produce-key').value;
  const response = await fetch(`/api/topics/${encodeURIComponent(topic)}/records`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ key: key === '' ? null : key, value, headers, partition: partition === '' ? null : Number(partition) }) });
  const body = await response.json();
  result.textContent = response.ok ? `Written to ${body.topic} partition ${body.partition} at offset ${body.offset} (${body.subject} v${body.schemaVersion})` : (body.detail ?? response.statusText);
  errors.replaceChildren(...(body.errors ?? []).map(text => { const li = document.createElement('li'); li.textContent = text; return li; }));
};
function showTopics(topics) {
    document.querySelector('#topics tbody').replaceChildren(...topics.map(t => {
      const rate = t.produced.length ? t.produced[t.produced.length - 1].perSecond : null;
      return row([cell(t.name), cell(t.partitions.length), cell(t.messages), cell(rate == null ? '' : rate.toFixed(1)),
        sparkline(t.produced.map(s => s.perSecond)), buttons([['Browse', () => browse(t.name)], ['Produce', () => openProduce(t.name, null)]])]);
    }));
}
function sparkline(values) {
  const max = Math.max(1, ...values);
  const chart = svg('svg', { width: 160, height: 24 });
  chart.append(svg('polyline', { points: values.map((v, i) => `${values.length < 2 ? 0 : i * 160 / (values.length - 1)},${23 - v * 22 / max}`).join(' '), fill: 'none', stroke: '#1a73e8' }));
  const td = document.createElement('td'); td.append(chart); return td;
}
function showGroups(groups) {
    document.querySelector('#groups tbody').replaceChildren(...groups.map(g => row([cell(g.group), cell(g.topics.join(', ')),
      cell(g.lag ?? 'unknown'), sparkline(g.history.map(s => s.lag)),
      cell(g.members ? g.members.map(m => `${m.clientId}@${m.host}: ${m.assignment.join(' ')}`).join('; ') : g.membersUnavailable),
      action('Reset…', () => { document.getElementById('reset-group').value = g.group; document.getElementById('reset-topic').value = g.topics[0]; document.getElementById('reset-form').scrollIntoView(); })])));
    document.querySelector('#group-partitions tbody').replaceChildren(...groups.flatMap(g => (g.partitions ?? []).map(p =>
      row([cell(g.group), cell(`${p.topic}/${p.partition}`), cell(p.committed ?? 'none'), cell(p.end), cell(p.lag)]))));
}
async function resetOffsets(dryRun) {
  const form = document.getElementById('reset-form');
  if (!form.reportValidity()) return;
  const value = id => document.getElementById(id).value;
  const group = value('reset-group'), to = value('reset-to');
  if (!dryRun && !confirm(`Move ${group}'s offsets on ${value('reset-topic')} to ${to}?`)) return;
  const partitions = value('reset-partitions').trim();
  const response = await fetch(`/api/groups/${encodeURIComponent(group)}/offsets/reset`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({
    topic: value('reset-topic'), to, dryRun, partitions: partitions ? partitions.split(',').map(Number) : null,
    timestamp: to === 'timestamp' ? utc(value('reset-timestamp')) : null, offset: to === 'offset' && value('reset-offset') !== '' ? Number(value('reset-offset')) : null }) });
  const body = await response.json();
  const plan = document.getElementById('reset-plan');
  plan.hidden = !response.ok;
  document.getElementById('reset-result').textContent = !response.ok ? (body.detail ?? response.statusText)
    : body.applied ? `Reset ${body.group} on ${body.topic}: lag ${body.lagBefore} → ${body.lagAfter}.` : `Dry run: ${body.group} on ${body.topic} would go from lag ${body.lagBefore} to ${body.lagAfter}.`;
  plan.querySelector('tbody').replaceChildren(...(response.ok ? body.partitions : []).map(p =>
    row([cell(p.partition), cell(p.committed ?? 'none'), cell(p.newOffset), cell(p.end), cell(p.lagBefore), cell(p.lagAfter)])));
  if (response.ok) refresh('groups');
}
document.getElementById('reset-form').onsubmit = e => { e.preventDefault(); resetOffsets(true); };
document.getElementById('reset-apply').onclick = () => resetOffsets(false);
async function refreshSchemas() {
  try {
    const subjects = await getJson('/api/schemas');
    document.querySelector('#schemas tbody').replaceChildren(...subjects.map(s => {
      const buttons = action(`Show v${s.latestVersion}`, () => { const pre = document.getElementById('schema'); pre.hidden = false; pre.className = 'preview'; pre.textContent = `${s.subject} v${s.latestVersion} (id ${s.latestId})\n${s.latest}`; });
      if (s.versions.length > 1) {
        const previous = s.versions[s.versions.length - 2];
        buttons.append(' ', action(`Diff v${previous} → v${s.latestVersion}`, () => showDiff(s.subject, previous, s.latestVersion)).firstChild);
      }
      return row([cell(s.subject), cell(s.versions.join(', ')), cell(s.compatibility), buttons]);
    }));
  } catch (e) { }
}
async function showDiff(subject, from, to) {
  const response = await fetch(`/api/schemas/${encodeURIComponent(subject)}/diff?from=${from}&to=${to}`);
  const body = await response.json();
  const pre = document.getElementById('schema');
  pre.hidden = false; pre.className = 'preview diff';
  if (!response.ok) { pre.textContent = body.detail ?? response.statusText; return; }
  const title = document.createElement('span'); title.textContent = `${subject}: v${from} → v${to}`;
  pre.replaceChildren(title, ...body.lines.map(l => {
    const span = document.createElement('span');
    span.textContent = `${l.change} ${l.text}`;
    if (l.change !== ' ') span.className = l.change === '+' ? 'added' : 'removed';
    return span;
  }));
}
let chartCoin = new URLSearchParams(location.search).get('coin'); // ?coin=bitcoin opens its chart; else the largest coin's
// The coins 25 at a time, by market cap: the page shown (its address) and the next one's (the Link header's rel="next").
const coinsFirst = '/api/market/coins?limit=25';
let coinsPage = { at: coinsFirst, number: 1, next: null };
function showCoins(at, number) { coinsPage = { at, number, next: null }; refreshMarket(); }
document.getElementById('coins-first').onclick = () => showCoins(coinsFirst, 1);
document.getElementById('coins-next').onclick = () => coinsPage.next && showCoins(coinsPage.next, coinsPage.number + 1);
async function refreshMarket() {
  try {
    const response = await fetch(coinsPage.at);
    if (!response.ok) throw new Error(response.statusText);
    const coins = await response.json();
    coinsPage.next = /<([^>]+)>\s*;\s*rel="next"/.exec(response.headers.get('Link') ?? '')?.[1] ?? null;
    document.getElementById('coins-next').disabled = !coinsPage.next;
    document.getElementById('coins-first').disabled = coinsPage.number === 1;
    document.getElementById('coins-page').textContent = `page ${coinsPage.number}`;
    document.querySelector('#coins tbody').replaceChildren(...coins.map(c => {
      const tr = row([cell(`${c.id} (${c.symbol})`), cell(`${c.price.toPrecision(6)} ${c.vsCurrency}`),
        cell(c.changePct == null ? '' : `${c.changePct.toFixed(2)} %`, c.changePct < 0 ? 'Unreachable' : 'Healthy'), cell(c.source), cell(new Date(c.eventTime).toLocaleTimeString())]);
      tr.dataset.coin = c.id; tr.style.cursor = 'pointer'; tr.onclick = () => { chartCoin = c.id; drawChart(); };
      return tr;
    }));
    chartCoin ??= coins[0]?.id; // the largest coin's chart until another is chosen
    const alerts = await getJson('/api/market/alerts?limit=20');
    document.querySelector('#alerts tbody').replaceChildren(...alerts.map(a => row([cell(new Date(a.eventTime).toLocaleString()), cell(a.coinId), cell(a.message)])));
    if (chartCoin) drawChart();
  } catch (e) { }
}
// The candlestick chart (TradingView's lightweight-charts, served from lib/): OHLC candles, the 24 h volume under them,
// alerts as markers, a crosshair whose candle the legend reads out; drag to pan, wheel to zoom.
let chart = null;
function makeChart() {
  const style = getComputedStyle(document.documentElement), color = name => style.getPropertyValue(name).trim();
  const element = document.getElementById('chart');
  element.replaceChildren();
  const made = LightweightCharts.createChart(element, { autoSize: true,
    layout: { background: { color: color('--layer') }, textColor: color('--fg2') },
    grid: { vertLines: { color: color('--stroke') }, horzLines: { color: color('--stroke') } },
    timeScale: { timeVisible: true, secondsVisible: false }, crosshair: { mode: LightweightCharts.CrosshairMode.Normal } });
  const candles = made.addSeries(LightweightCharts.CandlestickSeries, { upColor: color('--ok'), wickUpColor: color('--ok'), borderUpColor: color('--ok'),
    downColor: color('--bad'), wickDownColor: color('--bad'), borderDownColor: color('--bad') });
  const volume = made.addSeries(LightweightCharts.HistogramSeries, { priceFormat: { type: 'volume' }, priceScaleId: '', color: color('--stroke') });
  volume.priceScale().applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  const markers = LightweightCharts.createSeriesMarkers(candles, []);
  made.subscribeCrosshairMove(param => legend(param.time === undefined ? null : param.seriesData.get(candles), param.time === undefined ? null : param.seriesData.get(volume)));
  return { made, candles, volume, markers, key: null, last: null };
}
function legend(candle, volume) {
  candle ??= chart?.last?.candle; volume ??= chart?.last?.volume;
  document.getElementById('chart-legend').textContent = candle
    ? `${new Date(candle.time * 1000).toLocaleString()}  O ${candle.open.toPrecision(6)}  H ${candle.high.toPrecision(6)}  L ${candle.low.toPrecision(6)}  C ${candle.close.toPrecision(6)}  V ${volume ? Math.round(volume.value).toLocaleString() : '?'}`
    : '';
}
async function drawChart() {
  const interval = document.getElementById('interval').value;
  const [candles, alerts] = await Promise.all([getJson(`/api/market/coins/${encodeURIComponent(chartCoin)}/candles?interval=${interval}&limit=500`), getJson('/api/market/alerts?limit=500')]);
  const box = document.getElementById('chart-box');
  box.hidden = false;
  document.getElementById('chart-title').textContent = `${chartCoin}: ${candles.length} ${interval} candles (volume: 24 h volume at the close)`;
  chart ??= makeChart();
  const key = `${chartCoin}/${interval}`, list = candles.slice().reverse(); // the API gives the newest first
  const time = at => Math.floor(Date.parse(at) / 1000);
  const data = list.map(c => ({ time: time(c.windowStart), open: c.open, high: c.high, low: c.low, close: c.close }));
  chart.candles.setData(data);
  chart.volume.setData(list.map(c => ({ time: time(c.windowStart), value: c.volume24h ?? 0 })));
  const start = data.length ? data[0].time : 0, step = { '1m': 60, '5m': 300, '1h': 3600 }[interval];
  const marks = alerts.filter(a => a.coinId === chartCoin && time(a.eventTime) >= start)
    .map(a => ({ time: time(a.eventTime) - (time(a.eventTime) % step), position: 'aboveBar', shape: 'arrowDown', color: '#e37400', text: a.message.slice(0, 40) }))
    .sort((a, b) => a.time - b.time);
  chart.markers.setMarkers(marks);
  if (chart.key !== key) { // a new coin or interval: its newest 60 candles (all of them when fewer, at their usual width)
    chart.made.timeScale().setVisibleLogicalRange({ from: data.length - 60, to: data.length + 2 });
    chart.key = key;
  }
  chart.last = data.length ? { candle: data[data.length - 1], volume: { value: list[list.length - 1].volume24h ?? 0 } } : null;
  legend(null, null);
  box.dataset.candles = data.length; box.dataset.alerts = marks.length;
}
document.getElementById('interval').onchange = () => chartCoin && drawChart();
async function refreshRuns() {
  try {
    const freshness = await getJson('/api/market/pipeline/freshness');
    document.getElementById('freshness').textContent = Object.entries(freshness.stages)
      .map(([stage, f]) => `${stage}: ${f.ageSeconds == null ? 'nothing yet' : `newest event ${Math.round(f.ageSeconds)} s old`}`).join(' · ')
      + ' · lag ' + Object.entries(freshness.consumerLag).map(([stage, lag]) => `${stage} ${lag ?? '?'}`).join(', ');
  } catch (e) { document.getElementById('freshness').textContent = 'unreachable'; }
  try {
    const dagRuns = await getJson('/api/runs/dag?limit=10');
    document.querySelector('#dag-runs tbody').replaceChildren(...dagRuns.map(r => row([cell(r.dagRunId), cell(r.state), cell(r.tries),
      cell(r.startedAt && r.finishedAt ? ((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1) : ''), cell(r.error)])));
  } catch (e) { }
  try {
    const runs = await getJson('/api/runs/ingest?limit=10');
    document.querySelector('#ingest-runs tbody').replaceChildren(...runs.map(r => row([cell(r.runId), cell(r.status), cell(r.fetched), cell(r.published), cell(r.rejected),
      cell(r.durationSeconds == null ? '' : r.durationSeconds.toFixed(1))])));
  } catch (e) { }
}
function showPage() {
  const page = location.hash.slice(1) || 'market';
  for (const section of document.querySelectorAll('section.page')) section.hidden = section.dataset.page !== page;
  for (const link of document.querySelectorAll('nav a')) link.className = link.hash === `#${page}` ? 'current' : '';
}
window.onhashchange = showPage; showPage();
// Light or dark: the system's until chosen here, then the choice (kept in this browser).
const themes = ['light', 'dark'];
if (themes.includes(localStorage.getItem('theme'))) document.documentElement.dataset.theme = localStorage.getItem('theme');
document.getElementById('theme').onclick = () => {
  const dark = document.documentElement.dataset.theme ? document.documentElement.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'light' : 'dark';
  localStorage.setItem('theme', document.documentElement.dataset.theme);
  if (chart) { chart.made.remove(); chart = null; if (chartCoin) drawChart(); } // the chart's colours are the theme's
};
// What moves in the pipeline is pushed (server-sent events from /api/live, every few seconds, reconnecting by itself);
// each is also read once at load and after an operation changes it. The market and the runs come from the services
// through the console: they are read again when the pushed status says the stored documents or the runs changed (and
// every 30 s, for the freshness ages).
const changed = {};
function followStatus(status) {
  showStatus(status);
  for (const [name, key, refreshIt] of [['market', status.counts.collections, refreshMarket], ['runs', [status.counts.runs, status.counts.dagRuns], refreshRuns]]) {
    const now = JSON.stringify(key);
    if (changed[name] !== undefined && changed[name] !== now) refreshIt();
    changed[name] = now;
  }
}
const readings = { status: ['/api/status', followStatus], topics: ['/api/topics', showTopics], groups: ['/api/groups', showGroups], deadletters: ['/api/deadletters', showDeadLetters] };
async function refresh(name) { try { readings[name][1](await getJson(readings[name][0])); } catch (e) { } }
const live = new EventSource('/api/live');
for (const [name, [, show]] of Object.entries(readings)) {
  live.addEventListener(name, e => {
    show(JSON.parse(e.data));
    document.getElementById('updated').textContent = new Date().toLocaleTimeString();
  });
  refresh(name);
}
live.onerror = () => { document.getElementById('updated').textContent = 'reconnecting'; };
refreshMarket(); setInterval(refreshMarket, 30000);
refreshRuns(); setInterval(refreshRuns, 30000);
refreshSchemas(); setInterval(refreshSchemas, 30000);
