// The control center page: each section polls its API (no framework, nothing from a CDN); #market, #topics, ... show one page.
const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text ?? ''; if (cls) td.className = cls; return td; };
const row = cells => { const tr = document.createElement('tr'); tr.append(...cells); return tr; };
const svg = (name, attributes) => { const e = document.createElementNS('http://www.w3.org/2000/svg', name); for (const [k, v] of Object.entries(attributes)) e.setAttribute(k, v); return e; };
async function getJson(path) { const r = await fetch(path); if (!r.ok) throw new Error(r.statusText); return r.json(); }
const action = (text, onclick) => { const button = document.createElement('button'); button.textContent = text; button.onclick = onclick; const td = document.createElement('td'); td.append(button); return td; };
async function refresh() {
  try {
    const status = await getJson('/api/status');
    document.getElementById('source').textContent = status.source;
    document.getElementById('updated').textContent = new Date().toLocaleTimeString();
    document.querySelector('#services tbody').replaceChildren(...status.services.map(s => row([cell(s.name), cell(s.url), cell(s.health, s.health)])));
    const rows = [];
    for (const [group, values] of Object.entries(status.counts)) {
      for (const [name, value] of Object.entries(values)) rows.push(row([cell(`${group}: ${name}`), cell(value)]));
    }
    document.querySelector('#counts tbody').replaceChildren(...rows);
  } catch (e) { document.getElementById('updated').textContent = 'unreachable'; }
}
async function replay(stage, reason) {
  if (!confirm(`Send the ${stage} / ${reason} dead letters back to the topics they came from?`)) return;
  const response = await fetch(`/api/deadletters/replay?stage=${encodeURIComponent(stage)}&reason=${encodeURIComponent(reason)}`, { method: 'POST' });
  const body = await response.json();
  document.getElementById('replayed').textContent = response.ok ? body.message : (body.detail ?? response.statusText);
  refreshDeadLetters();
}
async function refreshDeadLetters() {
  try {
    const summary = await getJson('/api/deadletters');
    document.getElementById('deadletter-total').textContent = `${summary.total} in the dead-letter topic; the newest ${summary.read} grouped:`;
    document.querySelector('#deadletter-groups tbody').replaceChildren(...summary.groups.map(g => {
      return row([cell(g.stage), cell(g.reason), cell(g.count), cell(new Date(g.newest).toLocaleString()), action('Replay', () => replay(g.stage, g.reason))]);
    }));
    document.querySelector('#deadletters tbody').replaceChildren(...summary.newest.map(l => row([
      cell(new Date(l.failedAt).toLocaleString()), cell(`${l.stage} / ${l.reason}${l.failedAfterReplay ? ' (after a replay)' : ''}`),
      cell(l.error), cell(l.source), cell(l.preview, 'preview')])));
  } catch (e) { document.getElementById('deadletter-total').textContent = 'unreachable'; }
}
let browsing = null;
async function browse(topic) {
  if (topic !== browsing) document.getElementById('browse-form').reset();
  browsing = topic;
  const query = new URLSearchParams({ limit: document.getElementById('browse-limit').value || '20' });
  for (const [name, id] of [['partition', 'browse-partition'], ['offset', 'browse-offset'], ['key', 'browse-key']]) {
    const value = document.getElementById(id).value;
    if (value !== '') query.set(name, value);
  }
  const response = await fetch(`/api/topics/${encodeURIComponent(topic)}/messages?${query}`);
  const body = await response.json();
  document.getElementById('browse').hidden = false;
  const which = query.has('offset') ? `${body.length} records from offset ${query.get('offset')} of partition ${query.get('partition')}` : `the newest ${body.length} records`;
  document.getElementById('browse-title').textContent = response.ok
    ? `${topic}: ${which}${query.has('key') ? ` with key ${query.get('key')}` : ''}` : `${topic}: ${body.detail ?? response.statusText}`;
  document.querySelector('#messages tbody').replaceChildren(...(response.ok ? body : []).map(m => row([
    cell(`${m.partition}@${m.offset}`), cell(new Date(m.timestamp).toLocaleString()), cell(m.key),
    cell(m.headers.map(h => `${h.key}=${h.value ?? ''}`).join(' '), 'preview'),
    cell(m.value ? JSON.stringify(m.value) : `${m.undecodable}: ${m.raw}`, 'preview')])));
}
document.getElementById('browse-form').onsubmit = e => { e.preventDefault(); if (browsing) browse(browsing); };
async function refreshTopics() {
  try {
    const topics = await getJson('/api/topics');
    document.querySelector('#topics tbody').replaceChildren(...topics.map(t => {
      const rate = t.produced.length ? t.produced[t.produced.length - 1].perSecond : null;
      return row([cell(t.name), cell(t.partitions.length), cell(t.messages), cell(rate == null ? '' : rate.toFixed(1)),
        sparkline(t.produced.map(s => s.perSecond)), action('Browse', () => browse(t.name))]);
    }));
  } catch (e) { }
}
function sparkline(values) {
  const max = Math.max(1, ...values);
  const chart = svg('svg', { width: 160, height: 24 });
  chart.append(svg('polyline', { points: values.map((v, i) => `${values.length < 2 ? 0 : i * 160 / (values.length - 1)},${23 - v * 22 / max}`).join(' '), fill: 'none', stroke: '#1a73e8' }));
  const td = document.createElement('td'); td.append(chart); return td;
}
async function refreshGroups() {
  try {
    const groups = await getJson('/api/groups');
    document.querySelector('#groups tbody').replaceChildren(...groups.map(g => row([cell(g.group), cell(g.topics.join(', ')),
      cell(g.lag ?? 'unknown'), sparkline(g.history.map(s => s.lag)),
      cell(g.members ? g.members.map(m => `${m.clientId}@${m.host}: ${m.assignment.join(' ')}`).join('; ') : g.membersUnavailable)])));
    document.querySelector('#group-partitions tbody').replaceChildren(...groups.flatMap(g => (g.partitions ?? []).map(p =>
      row([cell(g.group), cell(`${p.topic}/${p.partition}`), cell(p.committed ?? 'none'), cell(p.end), cell(p.lag)]))));
  } catch (e) { }
}
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
async function drawChart() {
  const interval = document.getElementById('interval').value;
  const [candles, alerts] = await Promise.all([getJson(`/api/market/coins/${encodeURIComponent(chartCoin)}/candles?interval=${interval}&limit=60`), getJson('/api/market/alerts?limit=100')]);
  document.getElementById('chart-box').hidden = false;
  document.getElementById('chart-title').textContent = `${chartCoin}: the last ${candles.length} ${interval} candles (volume: 24 h volume at the close)`;
  const chart = document.getElementById('chart');
  const list = candles.slice().reverse();
  if (list.length === 0) { chart.replaceChildren(); return; }
  const low = Math.min(...list.map(c => c.low)), high = Math.max(...list.map(c => c.high)), volume = Math.max(1, ...list.map(c => c.volume24h ?? 0));
  const w = 660 / Math.max(list.length, 30), y = p => 14 + (high - p) * 196 / Math.max(high - low, 1e-12); // room for 30 candles
  const items = list.flatMap((c, i) => {
    const x = i * w + w / 2, up = c.close >= c.open, color = up ? '#137333' : '#c5221f';
    return [svg('line', { x1: x, x2: x, y1: y(c.high), y2: y(c.low), stroke: color }),
      svg('rect', { x: x - w * 0.35, width: Math.max(1, w * 0.7), y: Math.min(y(c.open), y(c.close)), height: Math.max(1, Math.abs(y(c.open) - y(c.close))), fill: color, 'data-candle': c.windowStart }),
      svg('rect', { x: x - w * 0.35, width: Math.max(1, w * 0.7), y: 300 - (c.volume24h ?? 0) * 70 / volume, height: (c.volume24h ?? 0) * 70 / volume, fill: '#c6d4f0' })];
  });
  const start = Date.parse(list[0].windowStart), end = Date.parse(list[list.length - 1].windowEnd);
  const marks = alerts.filter(a => a.coinId === chartCoin && Date.parse(a.eventTime) >= start && Date.parse(a.eventTime) < end).map(a => {
    const x = (Date.parse(a.eventTime) - start) * list.length * w / (end - start), yy = y(a.price);
    const mark = svg('polygon', { points: `${x},${yy - 12} ${x - 6},${yy - 22} ${x + 6},${yy - 22}`, fill: '#e37400', 'data-alert': a.id });
    const title = svg('title', {}); title.textContent = a.message; mark.append(title); return mark;
  });
  const label = (text, x, yy, anchor) => { const t = svg('text', { x, y: yy, 'font-size': 11, 'text-anchor': anchor ?? 'start', fill: '#5f6368' }); t.textContent = text; return t; };
  const axis = [label(high.toPrecision(6), 716, y(high) + 4, 'end'), label(low.toPrecision(6), 716, y(low) + 4, 'end'),
    label(new Date(start).toLocaleTimeString(), 0, 226), ...(list.length * w > 160 ? [label(new Date(end).toLocaleTimeString(), list.length * w, 226, 'end')] : [])];
  chart.replaceChildren(...items, ...marks, ...axis);
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
refresh(); setInterval(refresh, 2000);
refreshMarket(); setInterval(refreshMarket, 5000);
refreshRuns(); setInterval(refreshRuns, 5000);
refreshSchemas(); setInterval(refreshSchemas, 30000);
refreshGroups(); setInterval(refreshGroups, 5000);
refreshTopics(); setInterval(refreshTopics, 5000);
refreshDeadLetters(); setInterval(refreshDeadLetters, 5000);
