// The supervisors' wallboard. Plain ES module, no build step: the server pushes figures over
// Socket.IO (/supervisor); this page keeps the last snapshot, merges updates into it, and
// re-renders. Durations (longest wait, time in state, call length) tick here every second from
// the epoch timestamps the server sends, so the server need not push every second.
import { io } from './vendor/socket.io.esm.min.js'

const $ = (id) => document.getElementById(id)
const STATE = { 'ready': '示闲', 'not-ready': '示忙', 'offered': '振铃', 'talking': '通话', 'on-hold': '保持', 'wrap-up': '话后整理', 'signed-out': '已签出' }
const REASON = { 'break': '小休', 'meal': '就餐', 'training': '培训', 'meeting': '会议', 'restroom': '如厕', 'other': '其他', 'signed-in': '刚签入', 'missed-call': '未接来电', 'forced-by-supervisor': '班长置忙', 'pbx-lost': '交换机断开' }
const KIND = { main: '主号', merged: '整体并入', 'dual-number': '双号并行', 'sub-center': '分中心' }

let token = null
let socket = null
let board = null
/** Last update applied, for tests and the lag figure: { seq, changedAt, receivedAt }. */
window.wallboardStats = { updates: 0, lastSeq: 0, lagsMs: [] }

const pct = (x) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`)
const secs = (x) => (x === null || x === undefined ? '—' : `${x.toFixed(1)}秒`)
const clock = (ms) => {
  if (ms === null || ms === undefined || ms < 0) return '—'
  const s = Math.floor(ms / 1000)
  const h = Math.floor(s / 3600)
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`
}
const rateClass = (x, good, mid) => (x === null || x === undefined ? '' : x >= good ? 'good' : x >= mid ? 'mid' : 'bad')
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]))
// Durations use this machine's clock against the server's timestamps: wallboard PCs and the
// server keep time by NTP in a center; a skew estimate from push times would be noisier than that.
const serverNow = () => Date.now()

function toast(text, bad = false) {
  const t = $('toast')
  t.textContent = text
  t.className = `show ${bad ? 'bad' : ''}`
  clearTimeout(toast.timer)
  toast.timer = setTimeout(() => { t.className = '' }, 3000)
}

// ---- login --------------------------------------------------------------------------------
// The token comes from the login form only, never from the URL: a URL ends up in logs and history.
function readToken() {
  return sessionStorage.getItem('hotline.token')
}

$('login').addEventListener('submit', async (e) => {
  e.preventDefault()
  const form = new FormData(e.target)
  const res = await fetch('/v1/auth/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: form.get('username'), password: form.get('password') }) })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) { $('login-error').textContent = body.message ?? '登录失败'; return }
  sessionStorage.setItem('hotline.token', body.token)
  start(body.token)
})
$('logout').addEventListener('click', () => { sessionStorage.removeItem('hotline.token'); socket?.disconnect(); location.reload() })
$('seat').value = localStorage.getItem('hotline.supervisorSeat') ?? ''
$('seat').addEventListener('change', () => localStorage.setItem('hotline.supervisorSeat', $('seat').value.trim()))

// ---- realtime -----------------------------------------------------------------------------
function start(t) {
  token = t
  $('login').hidden = true
  $('board').hidden = false
  socket = io('/supervisor', { auth: { token, stream: 'wallboard' }, transports: ['websocket'] })
  socket.on('connect', () => {
    $('conn').textContent = '已连接'; $('conn').className = 'conn on'
    // A (re)connecting page always starts from a whole snapshot.
    socket.emit('wallboard:snapshot', (res) => { if (res.ok) setSnapshot(res.data); else toast(res.error.message, true) })
  })
  socket.on('disconnect', () => { $('conn').textContent = '连接中断，重连中…'; $('conn').className = 'conn off' })
  socket.on('connect_error', (err) => {
    $('conn').textContent = '未连接'; $('conn').className = 'conn off'
    if (/UNAUTHORIZED|FORBIDDEN/.test(err.message)) { sessionStorage.removeItem('hotline.token'); socket.disconnect(); showLogin(err.message) }
  })
  socket.on('wallboard:snapshot', setSnapshot)
  socket.on('wallboard:update', applyUpdate)
  socket.on('intervention:changed', (s) => {
    const what = { listen: '监听', whisper: '耳语', barge: '强插' }[s.mode]
    const state = { ringing: '座席振铃中', connected: '已接通', ended: '已结束' }[s.state]
    toast(`${what} ${s.agentId ?? ''}：${state}`)
  })
}

function showLogin(message) {
  $('board').hidden = true
  $('login').hidden = false
  $('login-error').textContent = message ?? ''
}

function setSnapshot(s) {
  board = s
  window.wallboardStats.lastSeq = s.seq
  render()
}

function mergeRows(rows, changed, key) {
  const byKey = new Map(rows.map((r) => [r[key], r]))
  for (const r of changed) byKey.set(r[key], r)
  return [...byKey.values()]
}

function applyUpdate(u) {
  if (!board || u.day !== board.day) { socket.emit('wallboard:snapshot', (res) => res.ok && setSnapshot(res.data)); return }
  const stats = window.wallboardStats
  stats.updates += 1
  stats.lastSeq = u.seq
  stats.lagsMs.push(Date.now() - u.changedAt)
  if (stats.lagsMs.length > 1000) stats.lagsMs.shift()
  if (u.lines) board.lines = mergeRows(board.lines, u.lines, 'key')
  if (u.queues) board.queues = mergeRows(board.queues, u.queues, 'key')
  if (u.agents) board.agents = mergeRows(board.agents, u.agents, 'agentId').sort((a, b) => (a.agentId < b.agentId ? -1 : 1))
  if (u.removedAgents) board.agents = board.agents.filter((a) => !u.removedAgents.includes(a.agentId))
  if (u.chart) board.chart = { intervalMinutes: u.chart.intervalMinutes, points: [...board.chart.points.slice(0, u.chart.from), ...u.chart.points] }
  board.seq = u.seq
  board.generatedAt = u.generatedAt
  render()
}

function command(event, body) {
  return new Promise((resolve) => {
    socket.timeout(10000).emit(event, body, (err, res) => {
      if (err) { toast('服务器无响应', true); return resolve(null) }
      if (!res.ok) { toast(res.error.message, true); return resolve(null) }
      resolve(res.data)
    })
  })
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

function renderTiles() {
  const main = board.lines.find((l) => l.kind === 'main') ?? board.lines[0]
  const total = board.lines.reduce((acc, l) => ({ waiting: acc.waiting + l.waiting, offered: acc.offered + l.offered, answered: acc.answered + l.answered, abandoned: acc.abandoned + l.abandoned }), { waiting: 0, offered: 0, answered: 0, abandoned: 0 })
  const agents = board.agents.filter((a) => a.state !== 'signed-out')
  const tiles = [
    ['排队中', total.waiting, total.waiting > 0 ? 'mid' : ''],
    ['今日呼入', total.offered, ''],
    ['已接通', total.answered, ''],
    ['放弃', total.abandoned, total.abandoned > 0 ? 'bad' : ''],
    [`${main?.name ?? '12345'} 接通率`, pct(main?.answerRate), rateClass(main?.answerRate, 0.95, 0.85)],
    ['15秒接通率', pct(main?.serviceLevel15), rateClass(main?.serviceLevel15, 0.9, 0.8)],
    ['在线坐席', agents.length, ''],
    ['示闲坐席', agents.filter((a) => a.state === 'ready').length, '']
  ]
  $('tiles').innerHTML = tiles.map(([k, v, c]) => `<div class="tile"><div class="v ${c}" data-tile="${esc(k)}">${esc(v)}</div><div class="k">${esc(k)}</div></div>`).join('')
}

function renderFigures(id, rows, isLine) {
  const head = `<tr><th>${isLine ? '号码' : '队列'}</th>${isLine ? '<th>类型</th>' : '<th>坐席(闲/在线)</th>'}<th>排队</th><th>最长等待</th><th>呼入</th><th>接通</th><th>放弃</th><th>接通率</th><th>15秒接通率</th><th>呼损率</th><th>平均应答</th><th>平均通话</th>${isLine ? '' : '<th>等待来电</th>'}</tr>`
  const body = rows.map((r) => `<tr data-key="${esc(r.key)}">
    <td>${esc(r.name ?? r.key)}${isLine ? ` <small>${esc(r.key)}</small>` : ''}</td>
    ${isLine ? `<td>${esc(KIND[r.kind] ?? r.kind ?? '')}</td>` : `<td>${r.agentsReady ?? 0}/${r.agentsSignedIn ?? 0}</td>`}
    <td data-f="waiting" class="${r.waiting > 0 ? 'mid' : ''}">${r.waiting}</td>
    <td data-since="${r.oldestWaitingSince ?? ''}">—</td>
    <td data-f="offered">${r.offered}</td><td data-f="answered">${r.answered}</td><td data-f="abandoned">${r.abandoned}</td>
    <td data-f="answerRate" class="${rateClass(r.answerRate, 0.95, 0.85)}">${pct(r.answerRate)}</td>
    <td data-f="serviceLevel15" class="${rateClass(r.serviceLevel15, 0.9, 0.8)}">${pct(r.serviceLevel15)}</td>
    <td data-f="abandonRate">${pct(r.abandonRate)}</td>
    <td>${secs(r.asaSeconds)}</td><td>${secs(r.ahtSeconds)}</td>
    ${isLine ? '' : `<td class="waiting-list">${(r.waitingCalls ?? []).map((c) => `<span><span data-since="${c.since}">—</span>
      <button data-act="to-head" data-queue="${esc(r.key)}" data-call="${esc(c.callId)}" title="排到队首">置顶</button>
      <button data-act="move" data-queue="${esc(r.key)}" data-call="${esc(c.callId)}" title="转到其他队列">转队列</button></span>`).join('')}</td>`}
  </tr>`).join('')
  $(id).innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`
}

function renderAgents() {
  const head = '<tr><th>坐席</th><th>座席号</th><th>状态</th><th>原因</th><th>状态时长</th><th>当前来电</th><th>线路</th><th>通话时长</th><th>今日接听</th><th>操作</th></tr>'
  const body = board.agents.map((a) => {
    const talking = a.call && (a.state === 'talking' || a.state === 'on-hold')
    return `<tr data-agent="${esc(a.agentId)}">
      <td>${esc(a.name ?? a.agentId)} <small>${esc(a.agentId)}</small></td>
      <td>${esc(a.seat ?? '')}</td>
      <td><span class="state s-${esc(a.state)}" data-f="state">${esc(STATE[a.state] ?? a.state)}</span></td>
      <td>${esc(a.reason ? (REASON[a.reason] ?? a.reason) : '')}</td>
      <td data-since="${a.since}">—</td>
      <td>${esc(a.call?.caller ?? '')}</td>
      <td>${esc(a.call ? (a.call.lineName ?? a.call.lineNumber ?? '') : '')}</td>
      <td data-since="${a.call?.since ?? ''}">—</td>
      <td data-f="answeredToday">${a.answeredToday}</td>
      <td>${talking ? ['listen', 'whisper', 'barge'].map((m) => `<button data-act="${m}" data-call="${esc(a.call.callId)}">${{ listen: '监听', whisper: '耳语', barge: '强插' }[m]}</button>`).join(' ') : ''}
        ${a.state !== 'signed-out' ? `<button data-act="force-not-ready" data-agent="${esc(a.agentId)}">置忙</button> <button data-act="force-sign-out" data-agent="${esc(a.agentId)}">签出</button>` : ''}</td>
    </tr>`
  }).join('')
  $('agents').innerHTML = `<thead>${head}</thead><tbody>${body}</tbody>`
}

function renderCharts() {
  const pts = board.chart.points
  const W = 600, H = 160, L = 30, B = 18, T = 8
  const x = (i) => L + ((W - L - 4) * i) / Math.max(1, pts.length)
  const bw = Math.max(1, (W - L - 4) / Math.max(1, pts.length) - 1)
  const maxW = Math.max(1, ...pts.map((p) => p.waiting))
  const hours = (i) => { const d = new Date(pts[i].at - board.chart.intervalMinutes * 60000); return d.toLocaleTimeString('zh-CN', { timeZone: board.timeZone, hour: '2-digit', minute: '2-digit', hour12: false }) }
  const ticks = pts.map((_, i) => i).filter((i) => i % Math.max(1, Math.round(240 / board.chart.intervalMinutes)) === 0)
  const axis = `<line class="axis" x1="${L}" y1="${H - B}" x2="${W}" y2="${H - B}"/>` + ticks.map((i) => `<text x="${x(i)}" y="${H - 4}">${hours(i)}</text>`).join('')
  $('chart-waiting').innerHTML = axis + `<text x="2" y="${T + 8}">${maxW}</text>` +
    pts.map((p, i) => { const h = ((H - B - T) * p.waiting) / maxW; return `<rect class="bar" x="${x(i)}" y="${H - B - h}" width="${bw}" height="${h}"><title>${hours(i)} 排队 ${p.waiting}</title></rect>` }).join('')
  const y = (v) => H - B - (H - B - T) * v
  const line = pts.map((p, i) => (p.serviceLevel15 === null ? null : `${x(i) + bw / 2},${y(p.serviceLevel15)}`)).filter(Boolean)
  $('chart-sl').innerHTML = axis + `<text x="2" y="${y(1) + 4}">100%</text><text x="2" y="${y(0.5) + 4}">50%</text>` +
    `<line class="target" x1="${L}" x2="${W}" y1="${y(0.9)}" y2="${y(0.9)}"><title>目标 90%</title></line>` +
    (line.length ? `<polyline class="sl" points="${line.join(' ')}"/>` : '') +
    pts.map((p, i) => (p.serviceLevel15 === null ? '' : `<circle cx="${x(i) + bw / 2}" cy="${y(p.serviceLevel15)}" r="2.5" fill="#3ecf8e"><title>${hours(i)} ${pct(p.serviceLevel15)}（${p.offered} 通）</title></circle>`)).join('')
}

function tick() {
  const now = serverNow()
  for (const el of document.querySelectorAll('[data-since]')) {
    const since = Number(el.dataset.since)
    el.textContent = el.dataset.since ? clock(now - since) : '—'
  }
}
setInterval(tick, 1000)

document.addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-act]')
  if (!b) return
  const act = b.dataset.act
  if (act === 'listen' || act === 'whisper' || act === 'barge') {
    const seat = $('seat').value.trim()
    if (!seat) { toast('请先在右上角填写您的座席号', true); $('seat').focus(); return }
    const s = await command('supervisor:intervene', { callId: b.dataset.call, mode: act, seat })
    if (s) toast(`正在呼叫您的座席 ${seat}…`)
  } else if (act === 'force-not-ready') {
    if (await command('supervisor:force-not-ready', { agentId: b.dataset.agent, reason: 'forced-by-supervisor' })) toast(`已将 ${b.dataset.agent} 置忙`)
  } else if (act === 'force-sign-out') {
    if (!confirm(`确定将 ${b.dataset.agent} 强制签出？`)) return
    if (await command('supervisor:force-sign-out', { agentId: b.dataset.agent })) toast(`已将 ${b.dataset.agent} 签出`)
  } else if (act === 'to-head') {
    if (await command('supervisor:call-to-head', { queueId: b.dataset.queue, callId: b.dataset.call })) toast('已排到队首')
  } else if (act === 'move') {
    const others = board.queues.map((q) => q.key).filter((k) => k !== b.dataset.queue)
    const to = prompt(`转到哪个队列？（${others.join('、')}）`, others[0] ?? '')
    if (to && await command('supervisor:move-call', { queueId: b.dataset.queue, callId: b.dataset.call, toQueueId: to.trim() })) toast(`已转到 ${to}`)
  }
})

const saved = readToken()
if (saved) start(saved)
else showLogin()
