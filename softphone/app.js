// @ts-check
// The agent panel. Everything about the call is decided by the server (Socket.IO /agent and
// REST); the browser's JsSIP phone only carries the media of the agent's seat. After a reload
// or a network blip the panel asks the server for its state and current call again. The call
// on screen and the ticket being written are kept in sessionStorage, so a reload in any phase
// (ringing, talking, wrap-up) comes back to the same call and the same unsaved form.
import { io } from '/socket.io/socket.io.esm.min.js'
import { ApiError, api as request, command, keepSocketSession, login, logout as endSession, onRenewed, session, socketAuth, socketErrorCode } from '/shared/api.js'
import { duration } from '/shared/format.js'
import { currentLang, errorText, setLang, t, translatePage } from './i18n.js'
import { judgeMedia } from './media.js'

/** @typedef {import('../src/realtime/contract.ts').AgentStateView} AgentStateView */
/** @typedef {import('../src/realtime/contract.ts').CallOfferView} CallOfferView */
/** @typedef {import('../src/realtime/contract.ts').CallControlView} CallControlView */
/** @typedef {import('../src/realtime/contract.ts').CurrentCallView} CurrentCallView */
/** @typedef {import('../src/realtime/contract.ts').MediaState} MediaState */
/** @typedef {import('../src/realtime/contract.ts').EarlierTicketView} EarlierTicketView */

/** @param {string} id @returns {any} the page's element (the ids are the page's own, see index.html) */
const $ = (id) => document.getElementById(id)
/** @type {any} */
const JsSIP = /** @type {any} */ (window).JsSIP
const REPEAT_WINDOW_MS = 30 * 86_400_000
const CALL_KEY = 'hotline.call' // the call on screen, for a reload in wrap-up
const DRAFT_KEY = 'hotline.ticketDraft' // the unsaved ticket form, with the call it belongs to

const panel = {
  token: session.token,
  agentId: sessionStorage.getItem('hotline.agent'),
  /** @type {AgentStateView | null} */
  state: null,
  /** @type {CallOfferView | null} the current call's screen pop */
  call: null,
  /** @type {'offered' | 'talking' | 'ended' | null} */
  phase: null,
  /** @type {number | null} */
  answeredAt: null,
  /** @type {string | null} */
  recordingName: null,
  /** @type {CallControlView} */
  control: { held: false, muted: false, consult: null },
  /** @type {any} the Socket.IO client socket */
  socket: null,
  /** @type {any} */
  ua: null,
  /** @type {string | null} */
  uaSeat: null,
  /** @type {any} the JsSIP session of the current call */
  session: null,
  /** @type {{ code: string; name: string; active?: boolean }[]} */
  categories: [],
  /** @type {Map<string, string>} queue id → name, for the screen pop */
  queueNames: new Map(),
  /** @type {string[]} not-ready reason codes */
  reasons: [],
  /** @type {{ number: string; name: string }[]} */
  targets: [],
  /** @type {{ id: string; name: string }[]} */
  units: [],
  /** @type {{ id: string; number: string } | null} */
  savedTicket: null,
  // 并单: the open ticket the request being taken joins, instead of a new handling
  /** @type {string | null} */
  linkTo: null,
  // The ticket of an agent-assisted follow-up call
  /** @type {any} */
  followUpTicket: null,
  /** @type {number | null} */
  popShownAt: null,
  agentLegConnected: true, // false: the server keeps the caller on music until this seat rejoins
  /** @type {string | null} the call id a rejoin was asked for and has not joined yet */
  rejoining: null,
  /** @type {MediaState | null} what the WebRTC statistics say about the call's audio */
  media: null,
  mediaWatch: { since: 0, lastRx: -1, lastRxAt: 0 }
}
// For the end-to-end test and for support: read-only looks at what the panel holds.
;/** @type {any} */ (window).__panel = panel

// ------------------------------------------------------------------ REST and socket commands
session.onUnauthorized = () => logout()
// The session renews itself (public/shared/api.js); the panel keeps the current token.
onRenewed((token) => { panel.token = token })
const api = request
/** @param {string} event @param {...unknown} args */
const emit = (event, ...args) => command(panel.socket, event, ...args)

/** What the agent reads for a failed command: the error code through the translation table. @param {unknown} err */
const failure = (err) => errorText(err instanceof ApiError ? err : { code: 'HOTLINE_ERROR' })

/** @param {string} message @param {boolean} [bad] */
function flash(message, bad = true) {
  const el = $('call-status')
  el.textContent = message
  el.style.color = bad ? 'var(--red)' : ''
}

// ------------------------------------------------------------------ login and seat
async function submitLogin(ev) {
  ev.preventDefault()
  $('login-error').textContent = ''
  try {
    const token = await login($('login-user').value.trim(), $('login-pass').value)
    panel.token = token
    panel.agentId = $('login-user').value.trim()
    sessionStorage.setItem('hotline.agent', panel.agentId ?? '')
    await boot()
  } catch (err) {
    $('login-error').textContent = errorText(err instanceof ApiError ? err : null, 'login')
  }
}

/** Forgets the session here; `signOut` also ends it on the server (POST /v1/auth/logout). @param {{ signOut?: boolean }} [opts] */
function logout(opts = {}) {
  if (opts.signOut) void endSession()
  else session.token = null
  panel.token = null
  sessionStorage.removeItem(CALL_KEY)
  sessionStorage.removeItem(DRAFT_KEY)
  panel.socket?.disconnect()
  stopPhone()
  $('login-view').classList.remove('hidden')
}

/** @param {Event} ev */
async function signIn(ev) {
  ev.preventDefault()
  $('seat-error').textContent = ''
  try {
    const seat = $('seat-input').value
    applyState(await emit('agent:sign-in', { seat }))
    localStorage.setItem('hotline.seat', seat)
  } catch (err) {
    $('seat-error').textContent = failure(err)
    void listSeats()
  }
}

/**
 * The seat choice: only the WebRTC seats this agent may use here (the server decides), free ones
 * selectable, taken ones shown but disabled; the last seat used is preselected when free.
 */
async function listSeats() {
  /** @type {{ seat: string; free: boolean; via: 'agent' | 'workstation' }[]} */
  let seats = []
  try { seats = await api('GET', '/v1/agents/me/web-seats') } catch (err) { $('seat-error').textContent = failure(err) }
  const select = $('seat-input')
  const last = localStorage.getItem('hotline.seat')
  select.replaceChildren(...seats.map((s) => Object.assign(document.createElement('option'), {
    value: s.seat, disabled: !s.free,
    textContent: `${s.seat} · ${t(s.free ? 'seat.free' : 'seat.taken')}${s.via === 'workstation' ? ` · ${t('seat.workstation')}` : ''}`
  })))
  const preferred = seats.find((s) => s.free && s.seat === last) ?? seats.find((s) => s.free)
  if (preferred) select.value = preferred.seat
  $('seat-none').classList.toggle('hidden', seats.some((s) => s.free))
  $('seat-form').querySelector('button[type=submit]').disabled = !preferred
}

// ------------------------------------------------------------------ start-up and reconnect
async function boot() {
  $('login-view').classList.add('hidden')
  $('who-agent').textContent = panel.agentId ?? ''
  const [reasons, categories, units, targets, queues] = await Promise.all([
    api('GET', '/v1/agents/not-ready-reasons'), api('GET', '/v1/ticket-categories'), api('GET', '/v1/units'), api('GET', '/v1/transfer-targets'),
    api('GET', '/v1/queues').catch(() => [])
  ])
  panel.reasons = reasons
  panel.targets = targets
  panel.queueNames = new Map(queues.map((/** @type {{ id: string; name: string }} */ q) => [q.id, q.name]))
  panel.categories = categories.filter((/** @type {{ active?: boolean }} */ c) => c.active !== false)
  panel.units = units.filter((/** @type {{ active?: boolean }} */ u) => u.active !== false)
  fillChoices()
  restoreDraft()
  connectSocket()
}

/** The selects whose labels are translated (reasons, transfer targets) or need a "choose" line. */
function fillChoices() {
  const keep = (/** @type {any} */ el) => el.value
  const [reason, category, unit, target] = [keep($('sel-reason')), keep($('tf-category')), keep($('tf-unit')), keep($('sel-target'))]
  fillSelect($('sel-reason'), (panel.reasons ?? []).map((/** @type {string} */ r) => [r, t(`reason.${r}`)]))
  fillSelect($('tf-category'), [['', t('choose')], ...panel.categories.map((c) => [c.code, c.name])])
  fillSelect($('tf-unit'), [['', t('choose')], ...(panel.units ?? []).map((/** @type {{ id: string; name: string }} */ u) => [u.id, u.name])])
  const coUnits = [...$('tf-co-units').selectedOptions].map((/** @type {HTMLOptionElement} */ o) => o.value)
  fillSelect($('tf-co-units'), (panel.units ?? []).map((/** @type {{ id: string; name: string }} */ u) => [u.id, u.name]))
  for (const o of $('tf-co-units').options) o.selected = coUnits.includes(o.value)
  // The configured names are Chinese; the usual numbers have an English name in the table.
  fillSelect($('sel-target'), (panel.targets ?? []).map((/** @type {{ number: string; name: string }} */ x) => [x.number, currentLang() === 'en' && t(`target.${x.number}`) !== `target.${x.number}` ? t(`target.${x.number}`) : `${x.name}${x.name.includes(x.number) ? '' : ` (${x.number})`}`]))
  if (reason) $('sel-reason').value = reason
  if (category) $('tf-category').value = category
  if (unit) $('tf-unit').value = unit
  if (target) $('sel-target').value = target
}

function connectSocket() {
  panel.socket?.disconnect()
  const socket = io('/agent', { auth: socketAuth(), transports: ['websocket'] })
  panel.socket = socket
  const renewAfterRefusal = keepSocketSession(socket)
  socket.on('connect', () => { indicator('ind-socket', 'on', 'socket.online'); void resync() })
  socket.on('disconnect', () => { indicator('ind-socket', 'off', 'socket.offline'); stateUnknown() })
  socket.on('connect_error', async (/** @type {Error} */ err) => {
    indicator('ind-socket', 'off', 'socket.offline')
    stateUnknown()
    const code = socketErrorCode(err)
    if (await renewAfterRefusal(err)) return
    if (code === 'HOTLINE_AUTH_UNAUTHORIZED' || code === 'HOTLINE_AUTH_FORBIDDEN') { logout(); $('login-error').textContent = errorText({ code }, 'login') }
  })
  socket.on('agent:state-changed', applyState)
  socket.on('call:offered', (/** @type {CallOfferView} */ offer) => showCall(offer, 'offered'))
  socket.on('call:answered', (/** @type {{ callId: string; answeredAt: string; recordingName: string | null }} */ c) => {
    if (panel.call?.callId !== c.callId) return
    panel.phase = 'talking'
    panel.answeredAt = Date.parse(c.answeredAt)
    panel.recordingName = c.recordingName
    rememberCall()
    renderCall()
  })
  socket.on('call:ended', (/** @type {{ callId: string; outcome: string }} */ c) => {
    if (panel.call?.callId !== c.callId) return
    panel.phase = 'ended'
    rememberCall()
    flash(t(c.outcome === 'transferred' ? 'transferred' : 'call-ended'), false)
    renderCall()
  })
  // The seat's leg dropped while the socket stayed (a blip): dial back in once the phone is registered.
  socket.on('call:leg-lost', (/** @type {{ callId: string }} */ c) => {
    if (panel.call?.callId !== c.callId) return
    panel.agentLegConnected = false
    flash(t('rejoin.waiting'), false)
    void maybeRejoin()
  })
  socket.on('call:rejoined', (/** @type {{ callId: string }} */ c) => {
    if (panel.call?.callId !== c.callId) return
    panel.agentLegConnected = true
    panel.rejoining = null
    flash(t('rejoin.done'), false)
    renderCall()
  })
  socket.on('call:control-changed', (/** @type {{ callId: string; control: CallControlView }} */ c) => {
    if (panel.call?.callId !== c.callId) return
    panel.control = c.control
    renderCall()
  })
}

/** After (re)connecting: the server's truth replaces whatever the panel thought. */
async function resync() {
  try {
    const state = await emit('agent:get-state')
    /** @type {CurrentCallView | null} */
    const current = await emit('call:get-current')
    if (current) {
      showCall(current.call, current.phase)
      panel.answeredAt = current.answeredAt ? Date.parse(current.answeredAt) : null
      panel.recordingName = current.recordingName
      panel.control = current.control
      panel.agentLegConnected = current.agentLegConnected
      rememberCall()
      renderCall()
      void maybeRejoin()
    } else if (state.state === 'wrap-up' && !panel.call) {
      // Reloaded in wrap-up: the server has no current call any more, the panel still has the one
      // that just ended (and the ticket form bound to it).
      const kept = readJson(CALL_KEY)
      if (kept?.call) {
        showCall(kept.call, 'ended')
        panel.answeredAt = kept.answeredAt
        panel.recordingName = kept.recordingName
        renderCall()
      }
    } else if (panel.phase && panel.phase !== 'ended') {
      panel.phase = 'ended'
      renderCall()
    }
    applyState(state)
  } catch (err) {
    flash(failure(err))
  }
}

/** Keeps the call on screen for a reload (wrap-up has no current call on the server). */
function rememberCall() {
  if (!panel.call) return
  sessionStorage.setItem(CALL_KEY, JSON.stringify({ call: panel.call, phase: panel.phase, answeredAt: panel.answeredAt, recordingName: panel.recordingName }))
}
/** @param {string} key */
function readJson(key) { try { return JSON.parse(sessionStorage.getItem(key) ?? 'null') } catch { return null } }

/** The server went away: the last state may no longer be true, so the panel stops showing it. */
function stateUnknown() {
  const el = $('agent-state')
  el.className = 'pill state-unknown'
  el.textContent = t('state.unknown')
  el.title = t('state.unknown-hint')
  for (const id of ['btn-ready', 'btn-not-ready', 'btn-answer', 'btn-hangup', 'btn-hold', 'btn-mute', 'btn-dtmf', 'btn-blind', 'btn-consult', 'btn-extend']) $(id).disabled = true
}

// ------------------------------------------------------------------ agent state
/** @param {AgentStateView} s */
function applyState(s) {
  const before = panel.state
  panel.state = s
  // The server's state says the call on screen is gone (the offer failed at the seat, rang out,
  // or the call ended while this panel was away): the pop must not stay on "ringing".
  if (panel.call && (panel.phase === 'offered' || panel.phase === 'talking') && ['ready', 'not-ready', 'signed-out', 'wrap-up'].includes(s.state) && !(s.callId && s.callId === panel.call.callId)) {
    const wasOffered = panel.phase === 'offered'
    panel.phase = 'ended'
    rememberCall()
    flash(t(wasOffered && before?.state === 'offered' ? 'call-gone' : 'call-ended'), wasOffered)
    renderCall()
  }
  if (s.state === 'ready' || s.state === 'not-ready') { sessionStorage.removeItem(CALL_KEY) }
  const el = $('agent-state')
  el.title = ''
  el.className = `pill state-${s.state}`
  el.textContent = t(`state.${s.state}`) + (s.state === 'not-ready' && s.reason ? ` · ${t(`reason.${s.reason}`)}` : '')
  $('who-seat').textContent = s.seat ? `${t('seat')} ${s.seat}` : ''
  const signedIn = s.state !== 'signed-out'
  const seatViewWasHidden = $('seat-view').classList.contains('hidden')
  $('seat-view').classList.toggle('hidden', signedIn || !panel.token)
  if (!signedIn && seatViewWasHidden) void listSeats()
  const idle = ['ready', 'not-ready', 'wrap-up'].includes(s.state)
  $('btn-ready').disabled = !idle || s.state === 'ready'
  $('btn-not-ready').disabled = !signedIn || s.state === 'signed-out'
  $('wrapup').classList.toggle('hidden', s.state !== 'wrap-up')
  if (signedIn && s.seat) void startPhone(s.seat)
  if (!signedIn) stopPhone()
}

// ------------------------------------------------------------------ the phone (JsSIP, media only)
/** @param {string} seat */
async function startPhone(seat) {
  if (panel.ua && panel.uaSeat === seat) return
  stopPhone()
  panel.uaSeat = seat
  indicator('ind-sip', 'wait', 'sip.connecting')
  let creds
  try { creds = await api('GET', '/v1/agents/me/seat-credentials') } catch (err) { panel.uaSeat = null; flash(failure(err)); return }
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(creds.wsUrl)], uri: creds.uri, authorization_user: creds.username, password: creds.password,
    register: true, session_timers: false, register_expires: 300
  })
  panel.ua = ua
  ua.on('registered', () => { indicator('ind-sip', 'on', 'sip.registered'); void maybeRejoin() })
  ua.on('unregistered', () => indicator('ind-sip', 'off', 'sip.unregistered'))
  ua.on('registrationFailed', () => { indicator('ind-sip', 'off', 'sip.unregistered'); flash(t('sip.unregistered')) })
  ua.on('newRTCSession', (/** @type {{ session: any; originator: string; request: any }} */ { session, originator, request }) => {
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

/** @param {RTCPeerConnection} pc */
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
    flash(failure(err))
  }
}

/** WebRTC statistics of the call's media (what the media state and the end-to-end test read). */
panel.mediaStats = async () => {
  const pc = panel.session?.connection
  if (!pc) return null
  /** @type {Record<string, any>} */
  const out = { ice: pc.iceConnectionState, connection: pc.connectionState }
  ;(await pc.getStats()).forEach((/** @type {any} */ r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') Object.assign(out, { rxPackets: r.packetsReceived, rxBytes: r.bytesReceived, rxEnergy: r.totalAudioEnergy })
    if (r.type === 'outbound-rtp' && r.kind === 'audio') Object.assign(out, { txPackets: r.packetsSent, txBytes: r.bytesSent })
    if (r.type === 'remote-inbound-rtp' && r.kind === 'audio') Object.assign(out, { remoteLost: r.packetsLost, remoteJitter: r.jitter })
    if (r.type === 'transport') Object.assign(out, { dtls: r.dtlsState, srtpCipher: r.srtpCipher })
  })
  return out
}

/**
 * Once a second while a call is talking: the media state from the WebRTC statistics, shown to
 * the agent and, when it changes, reported to the server (the supervisors' wallboard shows a
 * seat with no audio).
 */
async function watchMedia() {
  const talking = panel.call && panel.phase === 'talking'
  /** @type {MediaState | null} */
  let next = null
  if (talking) {
    const stats = await panel.mediaStats().catch(() => null)
    const w = panel.mediaWatch
    const now = Date.now()
    if (!stats) { w.since = 0; w.lastRx = -1 } else if (!w.since) { w.since = now; w.lastRx = -1; w.lastRxAt = now }
    const rx = stats?.rxPackets ?? 0
    if (stats && rx !== w.lastRx) { w.lastRx = rx; w.lastRxAt = now }
    next = judgeMedia({
      legConnected: panel.agentLegConnected && !panel.rejoining, hasMedia: !!stats, ice: stats?.ice ?? null,
      msSinceStart: w.since ? now - w.since : 0, msSinceAudio: rx > 0 ? now - w.lastRxAt : (w.since ? now - w.since : 0)
    })
  }
  if (next === panel.media) return
  panel.media = next
  const el = $('ind-media')
  el.classList.toggle('hidden', !next)
  if (next) indicator('ind-media', next === 'connected' ? 'on' : next === 'no-audio' ? 'off' : 'wait', `media.${next}`)
  if (next === 'no-audio') flash(t('media.no-audio-hint'))
  else if ($('call-status').textContent === t('media.no-audio-hint')) flash('', false)
  if (next && panel.call && panel.socket?.connected) panel.socket.emit('call:media', { callId: panel.call.callId, state: next })
}

// ------------------------------------------------------------------ the call
/** @param {CallOfferView} offer @param {'offered' | 'talking' | 'ended'} phase */
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
    panel.mediaWatch = { since: 0, lastRx: -1, lastRxAt: 0 }
    resetTicketForm()
    restoreDraft()
    flash('', false)
  }
  rememberCall()
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
    $('pop-queue').textContent = c.queueId ? (panel.queueNames.get(c.queueId) ?? c.queueId) : '—'
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
  if (consult) flash(t('consult-with', { state: t(`consult.${consult.state}`), name: consult.name }), false)
  $('tf-save').disabled = !c || !!panel.savedTicket
}

/** @param {HTMLTableSectionElement} tbody @param {EarlierTicketView[] | undefined} tickets @param {string} [sameCategory] */
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
  const categoryName = (/** @type {string} */ code) => panel.categories.find((x) => x.code === code)?.name ?? code
  for (const tk of /** @type {any[]} */ (tickets)) {
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
  } catch (err) { flash(failure(err)) }
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
    out.textContent = failure(err)
    out.className = 'bad'
  }
}

/** @param {import('../src/realtime/contract.ts').CallAction} action @param {{ digits?: string; number?: string }} [extra] */
async function control(action, extra = {}) {
  try {
    panel.control = await emit('call:control', { action, ...extra })
    renderCall()
  } catch (err) {
    flash(failure(err))
  }
}

// ------------------------------------------------------------------ ticket form
const DRAFT_FIELDS = ['tf-category', 'tf-urgency', 'tf-content', 'tf-address', 'tf-unit']

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

/** The form as typed so far, kept with the call it belongs to (a reload must not lose it). */
function saveDraft() {
  if (panel.savedTicket) return
  /** @type {Record<string, string | boolean | null>} */
  const fields = Object.fromEntries(DRAFT_FIELDS.map((id) => [id, $(id).value]))
  fields.dispatch = $('tf-dispatch').checked
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ callId: panel.call?.callId ?? null, fields, saved: null }))
}

/** Puts back the draft of the call on screen (or the one written before any call). */
function restoreDraft() {
  const draft = readJson(DRAFT_KEY)
  if (!draft || (draft.callId ?? null) !== (panel.call?.callId ?? null)) return
  for (const id of DRAFT_FIELDS) if (typeof draft.fields?.[id] === 'string') $(id).value = draft.fields[id]
  $('tf-dispatch').checked = !!draft.fields?.dispatch
  $('tf-resolved').checked = !draft.fields?.dispatch
  $('tf-unit').disabled = !draft.fields?.dispatch
  if (draft.saved) {
    panel.savedTicket = draft.saved
    $('tf-result').textContent = `${t('saved')}: ${draft.saved.number}`
    $('tf-result').className = 'ok'
    $('tf-result').dataset.ticket = draft.saved.number
  }
}

/** @param {Event} ev */
async function saveTicket(ev) {
  ev.preventDefault()
  const c = panel.call
  if (!c) return
  const dispatch = $('tf-dispatch').checked
  const leadUnitId = $('tf-unit').value
  const result = $('tf-result')
  const linkTo = panel.linkTo
  if (dispatch && !leadUnitId && !linkTo) { result.textContent = t('dispatch-needs-unit'); result.className = 'bad'; return }
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
    const draft = readJson(DRAFT_KEY)
    sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ ...(draft ?? {}), callId: c.callId, saved: { id: ticket.id, number: ticket.number } }))
  } catch (err) {
    result.textContent = failure(err)
    result.className = 'bad'
  }
  renderCall()
}

/** @param {Event} ev */
async function searchTickets(ev) {
  ev.preventDefault()
  try {
    const { tickets } = await api('GET', `/v1/tickets?callerNumber=${encodeURIComponent($('search-number').value.trim())}&limit=20`)
    renderTickets($('search-results'), tickets)
  } catch (err) {
    flash(failure(err))
  }
}

// ------------------------------------------------------------------ helpers and wiring
/** @param {HTMLSelectElement} select @param {string[][]} options */
function fillSelect(select, options) {
  select.replaceChildren(...options.map(([value, label]) => Object.assign(document.createElement('option'), { value, textContent: label })))
}

/** @param {string} id @param {string} cls @param {string} key */
function indicator(id, cls, key) {
  const el = $(id)
  el.className = `ind ${cls}`
  el.dataset.i18n = key
  el.textContent = t(key)
}

function tick() {
  const s = panel.state
  if (s) $('state-timer').textContent = panel.socket?.connected ? duration(Math.max(0, Date.now() - Date.parse(s.since))) : '—'
  if (s?.state === 'wrap-up' && s.wrapUpUntil) $('wrapup-left').textContent = String(Math.max(0, Math.ceil((Date.parse(s.wrapUpUntil) - Date.now()) / 1000)))
  $('call-timer').textContent = panel.phase === 'talking' && panel.answeredAt ? duration(Math.max(0, Date.now() - panel.answeredAt)) : ''
}

function wire() {
  $('login-form').addEventListener('submit', submitLogin)
  $('seat-form').addEventListener('submit', signIn)
  $('btn-logout').addEventListener('click', async () => { try { await emit('agent:sign-out') } catch { /* keep logging out */ } logout({ signOut: true }) })
  $('btn-lang').addEventListener('click', () => { setLang(currentLang() === 'zh-CN' ? 'en' : 'zh-CN'); relabel() })
  $('btn-ready').addEventListener('click', () => emit('agent:set-ready').then(applyState, (e) => flash(failure(e))))
  $('btn-not-ready').addEventListener('click', () => emit('agent:set-not-ready', { reason: $('sel-reason').value }).then(applyState, (e) => flash(failure(e))))
  $('btn-extend').addEventListener('click', () => emit('agent:extend-wrap-up', { seconds: 30 }).then(applyState, (e) => flash(failure(e))))
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
  $('ticket-form').addEventListener('input', saveDraft)
  $('ticket-form').addEventListener('change', saveDraft)
  $('tf-category').addEventListener('change', () => renderCall())
  for (const r of document.querySelectorAll('input[name=resolution]')) r.addEventListener('change', () => { $('tf-unit').disabled = !$('tf-dispatch').checked; $('tf-co-units').disabled = !$('tf-dispatch').checked })
  $('tf-link-clear').addEventListener('click', () => { panel.linkTo = null; showLink() })
  $('followup-form').addEventListener('submit', recordFollowUp)
  $('search-form').addEventListener('submit', searchTickets)
  setInterval(tick, 500)
  setInterval(() => { void watchMedia() }, 1000)
}

function relabel() {
  translatePage()
  $('btn-lang').textContent = currentLang() === 'zh-CN' ? 'EN' : '中文'
  fillChoices()
  if (panel.state) { if (panel.socket?.connected) applyState(panel.state); else stateUnknown() }
  if (panel.media) indicator('ind-media', panel.media === 'connected' ? 'on' : panel.media === 'no-audio' ? 'off' : 'wait', `media.${panel.media}`)
  if (!$('seat-view').classList.contains('hidden')) void listSeats()
  renderCall()
}

wire()
relabel()
if (panel.token) boot().catch((err) => { flash(failure(err)); logout() })
else $('login-view').classList.remove('hidden')
