// @ts-check
// The supervisors' wallboard. Plain ES module, no build step: the server pushes figures over
// Socket.IO (/supervisor); this page keeps the last snapshot and merges the changed rows of each
// update into it. Tables are keyed (data-key / data-agent): a row is rebuilt only when its own
// data changed, so an update touches only the rows it carries. Durations (longest wait, time in
// state, call length) tick here every second from the epoch timestamps the server sends.
import { io } from '/socket.io/socket.io.esm.min.js'
import { ApiError, command as ack, keepSocketSession, login, logout, session, socketAuth, socketErrorCode } from '/shared/api.js'
import '/shared/password.js'
import { duration, esc, percent } from '/shared/format.js'
import { currentLang, errorText, setLang, t, translatePage, useTexts } from '/shared/i18n.js'
import { TEXTS } from './texts.js'

/** @typedef {import('../../src/supervision/model.ts').WallboardSnapshot} Snapshot */
/** @typedef {import('../../src/supervision/model.ts').WallboardUpdate} Update */
/** @typedef {import('../../src/supervision/model.ts').WallboardRow} Row */
/** @typedef {import('../../src/supervision/model.ts').WallboardAgent} Agent */
/** @typedef {import('../../src/realtime/contract.ts').AgentMediaView} AgentMediaView */

useTexts(TEXTS)
/** @param {string} id @returns {any} */
const $ = (id) => document.getElementById(id)

/** @type {any} */
let socket = null
/** @type {Snapshot | null} */
let board = null
/** Each agent's call audio as their panel reports it (agentId → { callId, state }). @type {Map<string, AgentMediaView>} */
const media = new Map()
/** Last update applied, for tests and the lag figure. */
const stats = { updates: 0, lastSeq: 0, lagsMs: /** @type {number[]} */ ([]), rowsRebuilt: 0 }
Object.assign(window, { wallboardStats: stats })

const secs = (/** @type {number | null | undefined} */ x) => (x === null || x === undefined ? '—' : t('seconds', { n: x.toFixed(1) }))
/** @param {number | null | undefined} x @param {number} good @param {number} mid */
const rateClass = (x, good, mid) => (x === null || x === undefined ? '' : x >= good ? 'good' : x >= mid ? 'mid' : 'bad')
const stateText = (/** @type {string} */ s) => (t(`state.${s}`) === `state.${s}` ? s : t(`state.${s}`))
const reasonText = (/** @type {string | null} */ r) => (!r ? '' : t(`reason.${r}`) === `reason.${r}` ? r : t(`reason.${r}`))

/** @param {string} text @param {boolean} [bad] */
function toast(text, bad = false) {
  const el = $('toast')
  el.textContent = text
  el.className = `show ${bad ? 'bad' : ''}`
  clearTimeout(/** @type {any} */ (toast).timer)
  ;/** @type {any} */ (toast).timer = setTimeout(() => { el.className = '' }, 3000)
}

// ---- login --------------------------------------------------------------------------------
// The token comes from the login form only, never from the URL: a URL ends up in logs and history.
function readToken() {
  return session.token
}

$('login').addEventListener('submit', async (/** @type {SubmitEvent} */ e) => {
  e.preventDefault()
  const form = new FormData(/** @type {HTMLFormElement} */ (e.target))
  try {
    start(await login(String(form.get('username')), String(form.get('password'))))
  } catch (err) {
    $('login-error').textContent = errorText(err instanceof ApiError ? err : null, 'login')
  }
})
$('logout').addEventListener('click', async () => { socket?.disconnect(); await logout(); location.reload() })
session.onUnauthorized = () => { socket?.disconnect(); showLogin(errorText({ code: 'HOTLINE_AUTH_UNAUTHORIZED' })) }
$('lang').addEventListener('click', () => { setLang(currentLang() === 'zh-CN' ? 'en' : 'zh-CN'); relabel() })
$('seat').value = localStorage.getItem('hotline.supervisorSeat') ?? ''
$('seat').addEventListener('change', () => localStorage.setItem('hotline.supervisorSeat', $('seat').value.trim()))

// ---- realtime -----------------------------------------------------------------------------
/** @param {string} connKey @param {'on' | 'off'} cls */
function conn(connKey, cls) { $('conn').dataset.i18n = connKey; $('conn').textContent = t(connKey); $('conn').className = `conn ${cls}` }

/** @param {string} _token the socket reads the session's current one at every connect */
function start(_token) {
  $('login').hidden = true
  $('board').hidden = false
  // The auth is read at every (re)connect: after a renewal the new token (public/shared/api.js).
  socket = io('/supervisor', { auth: socketAuth({ stream: 'wallboard' }), transports: ['websocket'] })
  const renewAfterRefusal = keepSocketSession(socket)
  socket.on('connect', () => {
    conn('conn.on', 'on')
    // A (re)connecting page always starts from a whole snapshot.
    ack(socket, 'wallboard:snapshot').then(setSnapshot, (err) => toast(errorText(err), true))
  })
  socket.on('disconnect', () => conn('conn.retry', 'off'))
  socket.on('connect_error', async (/** @type {Error} */ err) => {
    conn('conn.off', 'off')
    const code = socketErrorCode(err)
    if (await renewAfterRefusal(err)) return
    if (code === 'HOTLINE_AUTH_UNAUTHORIZED' || code === 'HOTLINE_AUTH_FORBIDDEN') { session.token = null; socket.disconnect(); showLogin(errorText({ code }, 'login')) }
  })
  socket.on('wallboard:snapshot', setSnapshot)
  socket.on('wallboard:update', applyUpdate)
  socket.on('agent:media-changed', (/** @type {AgentMediaView} */ m) => { media.set(m.agentId, m); if (board) renderAgents() })
  socket.on('intervention:changed', (/** @type {{ mode: string; state: string; agentId?: string }} */ s) => {
    toast(t('int.toast', { mode: t(s.mode), agent: s.agentId ?? '', state: t(`int.${s.state}`) }))
  })
}

/** @param {string} [message] */
function showLogin(message) {
  $('board').hidden = true
  $('login').hidden = false
  $('login-error').textContent = message ?? ''
}

/** @param {Snapshot} s */
function setSnapshot(s) {
  board = s
  stats.lastSeq = s.seq
  render()
}

/** @template T @param {T[]} rows @param {T[]} changed @param {(r: T) => string} key */
function mergeRows(rows, changed, key) {
  const byKey = new Map(rows.map((r) => [key(r), r]))
  for (const r of changed) byKey.set(key(r), r)
  return [...byKey.values()]
}

/** @param {Update} u */
function applyUpdate(u) {
  if (!board || u.day !== board.day) { ack(socket, 'wallboard:snapshot').then(setSnapshot, () => {}); return }
  stats.updates += 1
  stats.lastSeq = u.seq
  stats.lagsMs.push(Date.now() - u.changedAt)
  if (stats.lagsMs.length > 1000) stats.lagsMs.shift()
  if (u.lines) board.lines = mergeRows(board.lines, u.lines, (r) => r.key)
  if (u.queues) board.queues = mergeRows(board.queues, u.queues, (r) => r.key)
  if (u.agents) board.agents = mergeRows(board.agents, u.agents, (a) => a.agentId).sort((a, b) => (a.agentId < b.agentId ? -1 : 1))
  if (u.removedAgents) board.agents = board.agents.filter((a) => !u.removedAgents?.includes(a.agentId))
  if (u.chart) board.chart = { intervalMinutes: u.chart.intervalMinutes, points: [...board.chart.points.slice(0, u.chart.from), ...u.chart.points] }
  board.seq = u.seq
  board.generatedAt = u.generatedAt
  renderTiles()
  if (u.lines) renderFigures('lines', board.lines, true)
  if (u.queues) renderFigures('queues', board.queues, false)
  if (u.agents || u.removedAgents) renderAgents()
  if (u.chart) renderCharts()
  tick()
}

/** @param {string} event @param {unknown} body */
async function command(event, body) {
  try { return await ack(socket, event, body) } catch (err) { toast(errorText(err instanceof ApiError ? err : null), true); return null }
}

// ---- rendering ----------------------------------------------------------------------------
function render() {
  if (!board) return
  $('day').textContent = `${board.day}（${board.timeZone}）`
  renderTiles()
  renderFigures('lines', board.lines, true)
  renderFigures('queues', board.queues, false)
  renderAgents()
  renderCharts()
  tick()
}

/**
 * Keyed table rows: each row's HTML is kept with it, and a row is replaced only when its HTML
 * changed; rows are moved only when the order changed; rows whose key is gone are removed.
 * @param {HTMLTableElement} table @param {string} head @param {{ key: string; html: string }[]} rows
 */
function keyedRows(table, head, rows) {
  if (table.dataset.head !== head) { table.innerHTML = `<thead>${head}</thead><tbody></tbody>`; table.dataset.head = head }
  const tbody = table.tBodies[0]
  /** @type {Map<string, HTMLTableRowElement>} */
  const existing = new Map([...tbody.rows].map((tr) => [tr.dataset.rowKey ?? '', tr]))
  /** @type {HTMLTableRowElement[]} */
  const wanted = []
  for (const { key, html } of rows) {
    let tr = existing.get(key)
    if (!tr || tr.dataset.html !== html) {
      const tpl = document.createElement('template')
      tpl.innerHTML = html.trim()
      const fresh = /** @type {HTMLTableRowElement} */ (tpl.content.firstElementChild)
      fresh.dataset.rowKey = key
      fresh.dataset.html = html
      if (tr) tr.replaceWith(fresh)
      tr = fresh
      stats.rowsRebuilt += 1
    }
    existing.delete(key)
    wanted.push(tr)
  }
  for (const tr of existing.values()) tr.remove()
  wanted.forEach((tr, i) => { if (tbody.rows[i] !== tr) tbody.insertBefore(tr, tbody.rows[i] ?? null) })
}

function renderTiles() {
  if (!board) return
  const main = board.lines.find((l) => l.kind === 'main') ?? board.lines[0]
  const total = board.lines.reduce((acc, l) => ({ waiting: acc.waiting + l.waiting, offered: acc.offered + l.offered, answered: acc.answered + l.answered, abandoned: acc.abandoned + l.abandoned }), { waiting: 0, offered: 0, answered: 0, abandoned: 0 })
  const agents = board.agents.filter((a) => a.state !== 'signed-out')
  /** @type {[string, string | number, string][]} */
  const tiles = [
    [t('tile.waiting'), total.waiting, total.waiting > 0 ? 'mid' : ''],
    [t('tile.offered'), total.offered, ''],
    [t('tile.answered'), total.answered, ''],
    [t('tile.abandoned'), total.abandoned, total.abandoned > 0 ? 'bad' : ''],
    [t('tile.answer-rate', { name: main?.name ?? '12345' }), percent(main?.answerRate), rateClass(main?.answerRate, 0.95, 0.85)],
    [t('tile.sl15'), percent(main?.serviceLevel15), rateClass(main?.serviceLevel15, 0.9, 0.8)],
    [t('tile.online'), agents.length, ''],
    [t('tile.ready'), agents.filter((a) => a.state === 'ready').length, '']
  ]
  $('tiles').innerHTML = tiles.map(([k, v, c]) => `<div class="tile"><div class="v ${c}" data-tile="${esc(k)}">${esc(v)}</div><div class="k">${esc(k)}</div></div>`).join('')
}

/** @param {'lines' | 'queues'} id @param {Row[]} rows @param {boolean} isLine */
function renderFigures(id, rows, isLine) {
  const head = `<tr><th>${t(isLine ? 'col.number' : 'col.queue')}</th><th>${t(isLine ? 'col.kind' : 'col.agents')}</th><th>${t('col.waiting')}</th><th>${t('col.longest')}</th><th>${t('col.offered')}</th><th>${t('col.answered')}</th><th>${t('col.abandoned')}</th><th>${t('col.answer-rate')}</th><th>${t('col.sl15')}</th><th>${t('col.abandon-rate')}</th><th>${t('col.asa')}</th><th>${t('col.aht')}</th>${isLine ? '' : `<th>${t('col.waiting-calls')}</th>`}</tr>`
  keyedRows($(id), head, rows.map((r) => ({ key: r.key, html: `<tr data-key="${esc(r.key)}">
    <td>${esc(r.name ?? r.key)}${isLine ? ` <small>${esc(r.key)}</small>` : ''}</td>
    ${isLine ? `<td>${esc(r.kind ? (t(`kind.${r.kind}`) === `kind.${r.kind}` ? r.kind : t(`kind.${r.kind}`)) : '')}</td>` : `<td>${r.agentsReady ?? 0}/${r.agentsSignedIn ?? 0}</td>`}
    <td data-f="waiting" class="${r.waiting > 0 ? 'mid' : ''}">${r.waiting}</td>
    <td data-since="${r.oldestWaitingSince ?? ''}">—</td>
    <td data-f="offered">${r.offered}</td><td data-f="answered">${r.answered}</td><td data-f="abandoned">${r.abandoned}</td>
    <td data-f="answerRate" class="${rateClass(r.answerRate, 0.95, 0.85)}">${percent(r.answerRate)}</td>
    <td data-f="serviceLevel15" class="${rateClass(r.serviceLevel15, 0.9, 0.8)}">${percent(r.serviceLevel15)}</td>
    <td data-f="abandonRate">${percent(r.abandonRate)}</td>
    <td>${secs(r.asaSeconds)}</td><td>${secs(r.ahtSeconds)}</td>
    ${isLine ? '' : `<td class="waiting-list">${(r.waitingCalls ?? []).map((c) => `<span><span data-since="${c.since}">—</span>
      <button data-act="to-head" data-queue="${esc(r.key)}" data-call="${esc(c.callId)}" title="${esc(t('to-head.title'))}">${t('to-head')}</button>
      <button data-act="move" data-queue="${esc(r.key)}" data-call="${esc(c.callId)}" title="${esc(t('move.title'))}">${t('move')}</button></span>`).join('')}</td>`}
  </tr>` })))
}

function renderAgents() {
  if (!board) return
  const head = `<tr><th>${t('col.agent')}</th><th>${t('col.seat')}</th><th>${t('col.state')}</th><th>${t('col.reason')}</th><th>${t('col.in-state')}</th><th>${t('col.caller')}</th><th>${t('col.line')}</th><th>${t('col.talk')}</th><th>${t('col.media')}</th><th>${t('col.today')}</th><th>${t('col.actions')}</th></tr>`
  keyedRows($('agents'), head, board.agents.map((a) => {
    const talking = a.call && (a.state === 'talking' || a.state === 'on-hold')
    // The panel's audio report counts for the call it was made on only.
    const m = media.get(a.agentId)
    const audio = m && a.call && m.callId === a.call.callId ? m.state : null
    return { key: a.agentId, html: `<tr data-agent="${esc(a.agentId)}"${audio === 'no-audio' ? ' class="alarm"' : ''}>
      <td>${esc(a.name ?? a.agentId)} <small>${esc(a.agentId)}</small></td>
      <td>${esc(a.seat ?? '')}</td>
      <td><span class="state s-${esc(a.state)}" data-f="state">${esc(stateText(a.state))}</span></td>
      <td>${esc(reasonText(a.reason))}</td>
      <td data-since="${a.since ?? ''}">—</td>
      <td>${esc(a.call?.caller ?? '')}</td>
      <td>${esc(a.call ? (a.call.lineName ?? a.call.lineNumber ?? '') : '')}</td>
      <td data-since="${a.call?.since ?? ''}">—</td>
      <td data-f="media">${audio ? `<span class="media media-${audio}">${esc(t(`media.${audio}`))}</span>` : ''}</td>
      <td data-f="answeredToday">${a.answeredToday}</td>
      <td>${talking && a.call ? ['listen', 'whisper', 'barge'].map((mode) => `<button data-act="${mode}" data-call="${esc(a.call?.callId)}">${t(mode)}</button>`).join(' ') : ''}
        ${a.state !== 'signed-out' ? `<button data-act="force-not-ready" data-agent="${esc(a.agentId)}">${t('force-not-ready')}</button> <button data-act="force-sign-out" data-agent="${esc(a.agentId)}">${t('force-sign-out')}</button>` : ''}</td>
    </tr>` }
  }))
}

/**
 * The day's charts. The time axis runs from midnight to now (its last label is "now"); the
 * service-level chart has a labelled target line; a day without calls still shows both scales
 * and says there are no calls yet.
 */
function renderCharts() {
  if (!board) return
  const pts = board.chart.points
  const intervalMs = board.chart.intervalMinutes * 60000
  const W = 600, H = 160, L = 34, R = 30, B = 18, T = 10
  const now = Date.now()
  const dayStart = pts.length ? pts[0].at - intervalMs : now - intervalMs
  const span = Math.max(intervalMs, now - dayStart)
  const x = (/** @type {number} */ time) => L + ((W - L - R) * (time - dayStart)) / span
  const bw = Math.max(1, ((W - L - R) * intervalMs) / span - 1)
  const hhmm = (/** @type {number} */ ms) => new Date(ms).toLocaleTimeString('zh-CN', { timeZone: board?.timeZone, hour: '2-digit', minute: '2-digit', hour12: false })
  const quiet = !pts.some((p) => p.offered > 0 || p.waiting > 0)
  const tickEvery = 4 * 3600_000
  const ticks = []
  for (let at = dayStart; at < now - tickEvery / 4; at += tickEvery) ticks.push(at)
  const axis = `<line class="axis" x1="${L}" y1="${H - B}" x2="${x(now)}" y2="${H - B}"/><line class="axis" x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>` +
    ticks.map((at) => `<text x="${x(at)}" y="${H - 4}">${hhmm(at)}</text>`).join('') +
    `<text class="now" x="${x(now)}" y="${H - 4}" text-anchor="end">${t('chart.now')} ${hhmm(now)}</text>`
  const empty = quiet ? `<text class="empty" x="${(L + W - R) / 2}" y="${(H - B + T) / 2}" text-anchor="middle">${t('chart.empty')}</text>` : ''

  const maxW = Math.max(1, ...pts.map((p) => p.waiting))
  const yw = (/** @type {number} */ v) => H - B - ((H - B - T) * v) / maxW
  $('chart-waiting').innerHTML = axis + `<text x="2" y="${yw(maxW) + 4}">${maxW}</text><text x="2" y="${yw(0)}">0</text>` + empty +
    pts.map((p) => { const h = H - B - yw(p.waiting); return `<rect class="bar" x="${x(p.at - intervalMs)}" y="${H - B - h}" width="${bw}" height="${h}"><title>${esc(t('chart.waiting-tip', { time: hhmm(p.at - intervalMs), n: p.waiting }))}</title></rect>` }).join('')

  const target = 0.9
  const y = (/** @type {number} */ v) => H - B - (H - B - T) * v
  const mid = (/** @type {import('../../src/supervision/model.ts').WallboardPoint} */ p) => x(p.at - intervalMs) + bw / 2
  const line = pts.filter((p) => p.serviceLevel15 !== null).map((p) => `${mid(p)},${y(/** @type {number} */ (p.serviceLevel15))}`)
  $('chart-sl').innerHTML = axis + `<text x="2" y="${y(1) + 4}">100%</text><text x="2" y="${y(0.5) + 4}">50%</text><text x="2" y="${y(0)}">0%</text>` + empty +
    `<line class="target" x1="${L}" x2="${W - R}" y1="${y(target)}" y2="${y(target)}"/><text class="target-label" x="${W - R + 2}" y="${y(target) + 4}">${esc(t('chart.target', { pct: percent(target).replace('.0', '') }))}</text>` +
    (line.length ? `<polyline class="sl" points="${line.join(' ')}"/>` : '') +
    pts.map((p) => (p.serviceLevel15 === null ? '' : `<circle cx="${mid(p)}" cy="${y(p.serviceLevel15)}" r="2.5" fill="#3ecf8e"><title>${esc(t('chart.sl-tip', { time: hhmm(p.at - intervalMs), pct: percent(p.serviceLevel15), n: p.offered }))}</title></circle>`)).join('')
}

function tick() {
  const now = Date.now()
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('[data-since]'))) {
    el.textContent = el.dataset.since ? duration(now - Number(el.dataset.since)) : '—'
  }
}
setInterval(tick, 1000)
// The charts' axis ends at now: redraw it as time passes even when no update comes.
setInterval(() => { if (board) renderCharts() }, 60_000)

document.addEventListener('click', async (e) => {
  const b = /** @type {HTMLButtonElement | null} */ (/** @type {HTMLElement} */ (e.target).closest('button[data-act]'))
  if (!b || !board) return
  const act = b.dataset.act ?? ''
  const agent = b.dataset.agent ?? ''
  if (act === 'listen' || act === 'whisper' || act === 'barge') {
    const seat = $('seat').value.trim()
    if (!seat) { toast(t('need-seat'), true); $('seat').focus(); return }
    if (await command('supervisor:intervene', { callId: b.dataset.call, mode: act, seat })) toast(t('calling-seat', { seat }))
  } else if (act === 'force-not-ready') {
    if (await command('supervisor:force-not-ready', { agentId: agent, reason: 'forced-by-supervisor' })) toast(t('forced-not-ready', { agent }))
  } else if (act === 'force-sign-out') {
    if (!confirm(t('confirm-sign-out', { agent }))) return
    if (await command('supervisor:force-sign-out', { agentId: agent })) toast(t('signed-out-agent', { agent }))
  } else if (act === 'to-head') {
    if (await command('supervisor:call-to-head', { queueId: b.dataset.queue, callId: b.dataset.call })) toast(t('moved-to-head'))
  } else if (act === 'move') {
    const others = board.queues.map((q) => q.key).filter((k) => k !== b.dataset.queue)
    const to = prompt(t('move-to', { queues: others.join(currentLang() === 'en' ? ', ' : '、') }), others[0] ?? '')
    if (to && await command('supervisor:move-call', { queueId: b.dataset.queue, callId: b.dataset.call, toQueueId: to.trim() })) toast(t('moved-to', { queue: to }))
  }
})

function relabel() {
  translatePage()
  $('lang').textContent = currentLang() === 'zh-CN' ? 'EN' : '中文'
  if ($('conn').dataset.i18n) $('conn').textContent = t($('conn').dataset.i18n)
  render()
}

relabel()
const saved = readToken()
if (saved) start(saved)
else showLogin()
