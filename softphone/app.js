// The agent panel. Everything about the call is decided by the server (Socket.IO /agent and
// REST); the browser's JsSIP phone only carries the media of the agent's seat. After a reload
// or a network blip the panel asks the server for its state and current call again.
import { io } from '/socket.io/socket.io.esm.min.js'
import { currentLang, setLang, t, translatePage } from './i18n.js'

const $ = (id) => document.getElementById(id)
const JsSIP = window.JsSIP
const REPEAT_WINDOW_MS = 30 * 86_400_000

const panel = {
  token: sessionStorage.getItem('hotline.token'),
  agentId: sessionStorage.getItem('hotline.agent'),
  state: null, // AgentStateView
  call: null, // CallOfferView of the current call
  phase: null, // 'offered' | 'talking' | 'ended'
  answeredAt: null,
  recordingName: null,
  control: { held: false, muted: false, consult: null },
  socket: null,
  ua: null,
  uaSeat: null,
  session: null, // the JsSIP session of the current call
  categories: [],
  savedTicket: null,
  // 并单: the open ticket the request being taken joins, instead of a new handling
  linkTo: null,
  // The ticket of an agent-assisted follow-up call
  followUpTicket: null,
  popShownAt: null,
  agentLegConnected: true, // false: the server keeps the caller on music until this seat rejoins
  rejoining: null // the call id a rejoin was asked for and has not joined yet
}
// For the end-to-end test and for support: read-only looks at what the panel holds.
window.__panel = panel

// ------------------------------------------------------------------ REST
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { ...(panel.token ? { authorization: `Bearer ${panel.token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  const text = await res.text()
  const data = text ? JSON.parse(text) : null
  if (res.status === 401 && path !== '/v1/auth/token') { logout(); throw new Error(data?.message ?? 'unauthorized') }
  if (!res.ok) throw new Error(data?.message ?? `HTTP ${res.status}`)
  return data
}

function emit(event, ...args) {
  return new Promise((resolve, reject) => {
    if (!panel.socket?.connected) return reject(new Error(t('socket.offline')))
    panel.socket.timeout(8000).emit(event, ...args, (err, res) => {
      if (err) return reject(new Error('timeout'))
      if (!res.ok) return reject(new Error(res.error.message))
      resolve(res.data)
    })
  })
}

function flash(message, bad = true) {
  const el = $('call-status')
  el.textContent = message
  el.style.color = bad ? 'var(--red)' : ''
}

// ------------------------------------------------------------------ login and seat
async function login(ev) {
  ev.preventDefault()
  $('login-error').textContent = ''
  try {
    const { token } = await api('POST', '/v1/auth/token', { username: $('login-user').value.trim(), password: $('login-pass').value })
    panel.token = token
    panel.agentId = $('login-user').value.trim()
    sessionStorage.setItem('hotline.token', token)
    sessionStorage.setItem('hotline.agent', panel.agentId)
    await boot()
  } catch (err) {
    $('login-error').textContent = err.message
  }
}

function logout() {
  sessionStorage.removeItem('hotline.token')
  panel.token = null
  panel.socket?.disconnect()
  stopPhone()
  $('login-view').classList.remove('hidden')
}

async function signIn(ev) {
  ev.preventDefault()
  $('seat-error').textContent = ''
  try {
    const seat = $('seat-input').value.trim()
    applyState(await emit('agent:sign-in', { seat }))
    localStorage.setItem('hotline.seat', seat)
  } catch (err) {
    $('seat-error').textContent = err.message
  }
}

// ------------------------------------------------------------------ start-up and reconnect
async function boot() {
  $('login-view').classList.add('hidden')
  $('who-agent').textContent = panel.agentId ?? ''
  const [reasons, categories, units, targets] = await Promise.all([
    api('GET', '/v1/agents/not-ready-reasons'), api('GET', '/v1/ticket-categories'), api('GET', '/v1/units'), api('GET', '/v1/transfer-targets')
  ])
  fillSelect($('sel-reason'), reasons.map((r) => [r, t(`reason.${r}`)]))
  panel.categories = categories.filter((c) => c.active !== false)
  fillSelect($('tf-category'), [['', t('choose')], ...panel.categories.map((c) => [c.code, c.name])])
  fillSelect($('tf-unit'), [['', t('choose')], ...units.filter((u) => u.active !== false).map((u) => [u.id, u.name])])
  fillSelect($('tf-co-units'), units.filter((u) => u.active !== false).map((u) => [u.id, u.name]))
  fillSelect($('sel-target'), targets.map((x) => [x.number, `${x.name} (${x.number})`]))
  connectSocket()
}

function connectSocket() {
  panel.socket?.disconnect()
  const socket = io('/agent', { auth: { token: panel.token }, transports: ['websocket'] })
  panel.socket = socket
  socket.on('connect', () => { indicator('ind-socket', 'on', 'socket.online'); void resync() })
  socket.on('disconnect', () => indicator('ind-socket', 'off', 'socket.offline'))
  socket.on('connect_error', (err) => {
    indicator('ind-socket', 'off', 'socket.offline')
    if (/UNAUTHORIZED/.test(err.message)) logout()
  })
  socket.on('agent:state-changed', applyState)
  socket.on('call:offered', (offer) => showCall(offer, 'offered'))
  socket.on('call:answered', (c) => {
    if (panel.call?.callId !== c.callId) return
    panel.phase = 'talking'
    panel.answeredAt = Date.parse(c.answeredAt)
    panel.recordingName = c.recordingName
    renderCall()
  })
  socket.on('call:ended', (c) => {
    if (panel.call?.callId !== c.callId) return
    panel.phase = 'ended'
    flash(t(c.outcome === 'transferred' ? 'transferred' : 'call-ended'), false)
    renderCall()
  })
  // The seat's leg dropped while the socket stayed (a blip): dial back in once the phone is registered.
  socket.on('call:leg-lost', (c) => {
    if (panel.call?.callId !== c.callId) return
    panel.agentLegConnected = false
    flash(t('rejoin.waiting'), false)
    void maybeRejoin()
  })
  socket.on('call:rejoined', (c) => {
    if (panel.call?.callId !== c.callId) return
    panel.agentLegConnected = true
    panel.rejoining = null
    flash(t('rejoin.done'), false)
    renderCall()
  })
  socket.on('call:control-changed', (c) => {
    if (panel.call?.callId !== c.callId) return
    panel.control = c.control
    renderCall()
  })
}

/** After (re)connecting: the server's truth replaces whatever the panel thought. */
async function resync() {
  try {
    applyState(await emit('agent:get-state'))
    const current = await emit('call:get-current')
    if (current) {
      showCall(current.call, current.phase)
      panel.answeredAt = current.answeredAt ? Date.parse(current.answeredAt) : null
      panel.recordingName = current.recordingName
      panel.control = current.control
      panel.agentLegConnected = current.agentLegConnected
      renderCall()
      void maybeRejoin()
    } else if (panel.phase && panel.phase !== 'ended') {
      panel.phase = 'ended'
      renderCall()
    }
  } catch (err) {
    flash(err.message)
  }
}

// ------------------------------------------------------------------ agent state
function applyState(s) {
  panel.state = s
  const el = $('agent-state')
  el.className = `pill state-${s.state}`
  el.textContent = t(`state.${s.state}`) + (s.state === 'not-ready' && s.reason ? ` · ${t(`reason.${s.reason}`)}` : '')
  $('who-seat').textContent = s.seat ? `${t('seat')} ${s.seat}` : ''
  const signedIn = s.state !== 'signed-out'
  $('seat-view').classList.toggle('hidden', signedIn || !panel.token)
  if (!signedIn && !$('seat-input').value) $('seat-input').value = localStorage.getItem('hotline.seat') ?? ''
  const idle = ['ready', 'not-ready', 'wrap-up'].includes(s.state)
  $('btn-ready').disabled = !idle || s.state === 'ready'
  $('btn-not-ready').disabled = !signedIn || s.state === 'signed-out'
  $('wrapup').classList.toggle('hidden', s.state !== 'wrap-up')
  if (signedIn && s.seat) void startPhone(s.seat)
  if (!signedIn) stopPhone()
}

// ------------------------------------------------------------------ the phone (JsSIP, media only)
async function startPhone(seat) {
  if (panel.ua && panel.uaSeat === seat) return
  stopPhone()
  panel.uaSeat = seat
  indicator('ind-sip', 'wait', 'sip.connecting')
  let creds
  try { creds = await api('GET', '/v1/agents/me/seat-credentials') } catch (err) { panel.uaSeat = null; flash(err.message); return }
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(creds.wsUrl)], uri: creds.uri, authorization_user: creds.username, password: creds.password,
    register: true, session_timers: false, register_expires: 300
  })
  panel.ua = ua
  ua.on('registered', () => { indicator('ind-sip', 'on', 'sip.registered'); void maybeRejoin() })
  ua.on('unregistered', () => indicator('ind-sip', 'off', 'sip.unregistered'))
  ua.on('registrationFailed', (e) => { indicator('ind-sip', 'off', 'sip.unregistered'); flash(`SIP: ${e.cause}`) })
  ua.on('newRTCSession', ({ session, originator, request }) => {
    if (originator !== 'remote') return
    // The server dialling this seat back into the current call (after a reload or a blip):
    // answered by itself, replacing whatever is left of the old leg.
    const rejoinOf = request?.getHeader?.('X-Hotline-Rejoin')
    if (rejoinOf && rejoinOf === panel.call?.callId) {
      if (panel.session && !panel.session.isEnded()) { try { panel.session.terminate() } catch { /* already gone */ } }
      panel.session = session
      session.on('peerconnection', ({ peerconnection }) => attachAudio(peerconnection))
      session.on('ended', () => { if (panel.session === session) panel.session = null; renderCall() })
      session.on('failed', () => { if (panel.session === session) panel.session = null; if (panel.rejoining === rejoinOf) panel.rejoining = null; renderCall() })
      session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } })
      if (session.connection) attachAudio(session.connection)
      return
    }
    if (panel.session && !panel.session.isEnded()) { session.terminate({ status_code: 486 }); return }
    panel.session = session
    session.on('peerconnection', ({ peerconnection }) => attachAudio(peerconnection))
    session.on('ended', () => { if (panel.session === session) panel.session = null; renderCall() })
    session.on('failed', () => { if (panel.session === session) panel.session = null; renderCall() })
    renderCall()
  })
  ua.start()
}

// Leaving or reloading the page: end the media leg now (BYE over the SIP WebSocket) rather than
// leave Asterisk a silent channel until its RTP timeout. The server reads a leg that ends without
// the agent's hang-up command as a dropped browser: the caller waits on music and the reloaded
// panel rejoins (maybeRejoin).
window.addEventListener('pagehide', () => {
  const s = panel.session
  if (s && !s.isEnded()) { try { s.terminate() } catch { /* already ending */ } }
})

function attachAudio(pc) {
  pc.addEventListener('track', (ev) => { $('remote-audio').srcObject = ev.streams[0] })
}

function stopPhone() {
  if (panel.ua) { try { panel.ua.stop() } catch { /* already stopped */ } }
  panel.ua = null
  panel.uaSeat = null
  indicator('ind-sip', 'off', 'sip.unregistered')
}

function answer() {
  const session = panel.session
  if (!session || session.isEstablished()) return
  session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } })
  if (session.connection) attachAudio(session.connection)
}

/**
 * A talking call without media here (the page was reloaded, or the leg dropped): ask the server
 * to dial this seat back in. Needs the phone registered first, so it is tried again from the
 * 'registered' event; one request per call until it joins or fails.
 */
async function maybeRejoin() {
  const c = panel.call
  if (!c || panel.phase !== 'talking' || panel.rejoining === c.callId) return
  if (panel.session && !panel.session.isEnded()) return
  if (!panel.ua?.isRegistered() || !panel.socket?.connected) return
  panel.rejoining = c.callId
  flash(t('rejoin.dialling'), false)
  // The seat may never ring (the dial failed on the PBX): try again while the server still waits.
  setTimeout(() => {
    if (panel.rejoining !== c.callId || (panel.session && !panel.session.isEnded())) return
    panel.rejoining = null
    void maybeRejoin()
  }, 10_000)
  try {
    await emit('call:rejoin')
  } catch (err) {
    panel.rejoining = null
    flash(err.message)
  }
}

/** WebRTC statistics of the call's media (what the end-to-end test checks audio with). */
panel.mediaStats = async () => {
  const pc = panel.session?.connection
  if (!pc) return null
  const out = { ice: pc.iceConnectionState, connection: pc.connectionState }
  ;(await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') Object.assign(out, { rxPackets: r.packetsReceived, rxBytes: r.bytesReceived, rxEnergy: r.totalAudioEnergy })
    if (r.type === 'outbound-rtp' && r.kind === 'audio') Object.assign(out, { txPackets: r.packetsSent, txBytes: r.bytesSent })
    if (r.type === 'remote-inbound-rtp' && r.kind === 'audio') Object.assign(out, { remoteLost: r.packetsLost, remoteJitter: r.jitter })
    if (r.type === 'transport') Object.assign(out, { dtls: r.dtlsState, srtpCipher: r.srtpCipher })
  })
  return out
}

// ------------------------------------------------------------------ the call
function showCall(offer, phase) {
  const isNew = panel.call?.callId !== offer.callId
  panel.call = offer
  panel.phase = phase
  if (isNew) {
    panel.control = { held: false, muted: false, consult: null }
    panel.answeredAt = null
    panel.recordingName = null
    panel.savedTicket = null
    panel.popShownAt = Date.now()
    resetTicketForm()
    flash('', false)
  }
  renderCall()
}

function renderCall() {
  const c = panel.call
  const live = c && (panel.phase === 'offered' || panel.phase === 'talking')
  $('pop-empty').classList.toggle('hidden', !!c)
  $('pop-body').classList.toggle('hidden', !c)
  $('pop').classList.toggle('ringing', panel.phase === 'offered')
  if (c) {
    $('pop').dataset.callId = c.callId
    $('pop-caller').textContent = c.callerNumber
    $('pop-repeat').classList.toggle('hidden', !c.repeatCaller)
    $('pop-phase').textContent = panel.phase === 'offered' ? t('ringing') : panel.phase === 'talking' ? t('talking') : t('call-ended')
    $('pop-line').textContent = [c.lineName, c.lineNumber ?? c.dialledNumber].filter(Boolean).join(' · ')
    $('pop-queue').textContent = c.queueId ?? '—'
    $('pop-wait').textContent = `${Math.round(c.waitSeconds)} ${t('seconds')}`
    $('pop-callid').textContent = c.callId
    renderTickets($('pop-tickets'), c.earlierTickets, $('tf-category').value)
    void renderFollowUp(c)
    $('tf-caller').textContent = c.callerNumber
    $('tf-line').textContent = c.lineNumber ?? c.dialledNumber
    $('tf-call').textContent = c.callId
    $('tf-recording').textContent = panel.recordingName ?? '—'
  }
  const talking = live && panel.phase === 'talking'
  const ringingHere = panel.session && !panel.session.isEstablished() && !panel.session.isEnded()
  const { held, muted, consult } = panel.control
  $('btn-answer').disabled = !(live && panel.phase === 'offered' && ringingHere)
  $('btn-hangup').disabled = !live
  $('btn-hold').disabled = !talking || !!consult
  $('btn-hold').textContent = t(held ? 'unhold' : 'hold')
  $('btn-hold').classList.toggle('active', held)
  $('btn-mute').disabled = !talking
  $('btn-mute').textContent = t(muted ? 'unmute' : 'mute')
  $('btn-mute').classList.toggle('active', muted)
  $('btn-dtmf').disabled = !talking
  $('btn-blind').disabled = !talking || !!consult
  $('btn-consult').disabled = !talking || !!consult
  $('btn-consult-complete').classList.toggle('hidden', !consult)
  $('btn-consult-complete').disabled = consult?.state !== 'talking'
  $('btn-consult-cancel').classList.toggle('hidden', !consult)
  if (consult) flash(`${t(`consult.${consult.state}`)}: ${consult.name}`, false)
  $('tf-save').disabled = !c || !!panel.savedTicket
}

function renderTickets(tbody, tickets, sameCategory) {
  tbody.replaceChildren()
  if (!tickets?.length) {
    const tr = tbody.insertRow()
    const td = tr.insertCell()
    td.colSpan = 4
    td.className = 'muted'
    td.textContent = t(tbody.id === 'search-results' ? 'search.none' : 'no-tickets')
    return
  }
  const categoryName = (code) => panel.categories.find((x) => x.code === code)?.name ?? code
  for (const tk of tickets) {
    const tr = tbody.insertRow()
    tr.dataset.ticket = tk.number
    const open = tk.open ?? tk.status !== 'closed'
    if (open) tr.classList.add('open')
    // "Repeat" in the issue's sense: an open ticket, or a recent one in the category the agent picked.
    if (sameCategory && tk.categoryCode === sameCategory && (open || Date.now() - Date.parse(tk.createdAt) < REPEAT_WINDOW_MS)) tr.classList.add('same')
    tr.insertCell().textContent = tk.number
    tr.insertCell().textContent = categoryName(tk.categoryCode)
    const st = tr.insertCell()
    const badge = document.createElement('span')
    badge.className = `badge ${open ? 'open' : 'closed'}`
    badge.textContent = t(`status.${tk.status}`)
    st.append(badge)
    tr.insertCell().textContent = new Date(tk.createdAt).toLocaleString(currentLang(), { hour12: false })
    // 并单: the new request can join an open ticket of this caller instead of being handled again.
    if (open && (tbody.id === 'pop-tickets' || tbody.id === 'search-results') && tk.status !== 'merged') {
      const link = document.createElement('button')
      link.type = 'button'
      link.dataset.link = tk.number
      link.textContent = t('link')
      link.addEventListener('click', () => { panel.linkTo = tk.number; showLink() })
      tr.insertCell().append(link)
    }
  }
}

function showLink() {
  $('tf-link').classList.toggle('hidden', !panel.linkTo)
  $('tf-link-number').textContent = panel.linkTo ?? ''
}

/** An agent-assisted follow-up shows the ticket being followed up and the answers to record, not the new-ticket form. */
async function renderFollowUp(c) {
  const isFollowUp = c.kind === 'follow-up' && !!c.followUpTicketId
  $('followup').classList.toggle('hidden', !isFollowUp)
  $('ticket-card').classList.toggle('hidden', isFollowUp)
  if (!isFollowUp || panel.followUpTicket?.id === c.followUpTicketId) return
  try {
    panel.followUpTicket = await api('GET', `/v1/tickets/${c.followUpTicketId}`)
    $('fu-number').textContent = panel.followUpTicket.number
    $('fu-content').textContent = panel.followUpTicket.content
    $('fu-reply').textContent = panel.followUpTicket.reply ?? '—'
  } catch (err) { flash(err.message) }
}

async function recordFollowUp(ev) {
  ev.preventDefault()
  const c = panel.call
  const tk = panel.followUpTicket
  if (!c || !tk) return
  const out = $('fu-result-text')
  try {
    const fresh = await api('GET', `/v1/tickets/${tk.id}`)
    panel.followUpTicket = await api('POST', `/v1/tickets/${tk.id}/evaluate`, {
      version: fresh.version, method: 'agent-call', callId: c.callId, process: $('fu-process').value, result: $('fu-result').value, solved: $('fu-solved').value === 'true'
    })
    out.textContent = `${t('followup.saved')}: ${panel.followUpTicket.number}`
    out.className = 'ok'
    $('fu-save').disabled = true
  } catch (err) {
    out.textContent = err.message
    out.className = 'bad'
  }
}

async function control(action, extra = {}) {
  try {
    panel.control = await emit('call:control', { action, ...extra })
    renderCall()
  } catch (err) {
    flash(err.message)
  }
}

// ------------------------------------------------------------------ ticket form
function resetTicketForm() {
  $('ticket-form').reset()
  $('tf-unit').disabled = true
  $('tf-co-units').disabled = true
  panel.linkTo = null
  panel.followUpTicket = null
  $('fu-save').disabled = false
  $('fu-result-text').textContent = ''
  showLink()
  $('tf-result').textContent = ''
  $('tf-result').className = ''
}

async function saveTicket(ev) {
  ev.preventDefault()
  const c = panel.call
  if (!c) return
  const dispatch = $('tf-dispatch').checked
  const leadUnitId = $('tf-unit').value
  const result = $('tf-result')
  const linkTo = panel.linkTo
  if (dispatch && !leadUnitId && !linkTo) { result.textContent = `${t('lead-unit')}?`; result.className = 'bad'; return }
  const coUnitIds = [...$('tf-co-units').selectedOptions].map((o) => o.value).filter((id) => id !== leadUnitId)
  $('tf-save').disabled = true
  try {
    const address = $('tf-address').value.trim()
    let ticket = await api('POST', '/v1/tickets', {
      callerNumber: c.callerNumber, lineNumber: c.lineNumber ?? undefined, categoryCode: $('tf-category').value, urgency: $('tf-urgency').value,
      content: $('tf-content').value.trim(), ...(address ? { address } : {}), callId: c.callId, resolvedOnCall: !dispatch && !linkTo, contactAllowed: $('tf-contact').checked
    })
    if (linkTo) ticket = await api('POST', `/v1/tickets/${ticket.id}/merge`, { version: ticket.version, intoTicket: linkTo })
    else if (dispatch) ticket = await api('POST', `/v1/tickets/${ticket.id}/dispatch`, { version: ticket.version, leadUnitId, coUnitIds })
    panel.savedTicket = ticket
    result.textContent = `${t('saved')}: ${ticket.number}`
    result.className = 'ok'
    result.dataset.ticket = ticket.number
  } catch (err) {
    result.textContent = err.message
    result.className = 'bad'
  }
  renderCall()
}

async function searchTickets(ev) {
  ev.preventDefault()
  try {
    const { tickets } = await api('GET', `/v1/tickets?callerNumber=${encodeURIComponent($('search-number').value.trim())}&limit=20`)
    renderTickets($('search-results'), tickets)
  } catch (err) {
    flash(err.message)
  }
}

// ------------------------------------------------------------------ helpers and wiring
function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, label]) => Object.assign(document.createElement('option'), { value, textContent: label })))
}

function indicator(id, cls, key) {
  const el = $(id)
  el.className = `ind ${cls}`
  el.dataset.i18n = key
  el.textContent = t(key)
}

function tick() {
  const s = panel.state
  const mmss = (ms) => { const x = Math.max(0, Math.floor(ms / 1000)); return `${String(Math.floor(x / 60)).padStart(2, '0')}:${String(x % 60).padStart(2, '0')}` }
  if (s) $('state-timer').textContent = mmss(Date.now() - Date.parse(s.since))
  if (s?.state === 'wrap-up' && s.wrapUpUntil) $('wrapup-left').textContent = String(Math.max(0, Math.ceil((Date.parse(s.wrapUpUntil) - Date.now()) / 1000)))
  $('call-timer').textContent = panel.phase === 'talking' && panel.answeredAt ? mmss(Date.now() - panel.answeredAt) : ''
}

function wire() {
  $('login-form').addEventListener('submit', login)
  $('seat-form').addEventListener('submit', signIn)
  $('btn-logout').addEventListener('click', async () => { try { await emit('agent:sign-out') } catch { /* keep logging out */ } logout() })
  $('btn-lang').addEventListener('click', () => { setLang(currentLang() === 'zh-CN' ? 'en' : 'zh-CN'); relabel() })
  $('btn-ready').addEventListener('click', () => emit('agent:set-ready').then(applyState, (e) => flash(e.message)))
  $('btn-not-ready').addEventListener('click', () => emit('agent:set-not-ready', { reason: $('sel-reason').value }).then(applyState, (e) => flash(e.message)))
  $('btn-extend').addEventListener('click', () => emit('agent:extend-wrap-up', { seconds: 30 }).then(applyState, (e) => flash(e.message)))
  $('btn-answer').addEventListener('click', answer)
  $('btn-hangup').addEventListener('click', () => control('hangup'))
  $('btn-hold').addEventListener('click', () => control(panel.control.held ? 'unhold' : 'hold'))
  $('btn-mute').addEventListener('click', () => control(panel.control.muted ? 'unmute' : 'mute'))
  $('btn-dtmf').addEventListener('click', () => { const digits = $('dtmf-input').value.trim(); if (digits) void control('dtmf', { digits }).then(() => { $('dtmf-input').value = '' }) })
  $('btn-blind').addEventListener('click', () => control('transfer', { number: $('sel-target').value }))
  $('btn-consult').addEventListener('click', () => control('consult', { number: $('sel-target').value }))
  $('btn-consult-complete').addEventListener('click', () => control('consult-complete'))
  $('btn-consult-cancel').addEventListener('click', () => control('consult-cancel'))
  $('ticket-form').addEventListener('submit', saveTicket)
  $('tf-category').addEventListener('change', () => renderCall())
  for (const r of document.querySelectorAll('input[name=resolution]')) r.addEventListener('change', () => { $('tf-unit').disabled = !$('tf-dispatch').checked; $('tf-co-units').disabled = !$('tf-dispatch').checked })
  $('tf-link-clear').addEventListener('click', () => { panel.linkTo = null; showLink() })
  $('followup-form').addEventListener('submit', recordFollowUp)
  $('search-form').addEventListener('submit', searchTickets)
  setInterval(tick, 500)
}

function relabel() {
  translatePage()
  $('btn-lang').textContent = currentLang() === 'zh-CN' ? 'EN' : '中文'
  if (panel.state) applyState(panel.state)
  renderCall()
}

setLang(currentLang())
wire()
relabel()
if (panel.token) boot().catch((err) => { flash(err.message); logout() })
else $('login-view').classList.remove('hidden')
