// @ts-check
// Login, the session and its silent renewal, REST calls and Socket.IO acks, shared by the pages
// (agent panel, wallboard, dialer, units' workspace). The tokens live in sessionStorage, so a
// reload keeps the session and closing the tab ends it.

/** A failed request or command, carrying the server's error code for the page's translation. */
export class ApiError extends Error {
  /** @param {string} code @param {string} message @param {number} [status] */
  constructor(code, message, status) { super(message); this.code = code; this.status = status }
}

// The session: a short-lived access token (sessionStorage 'hotline.token') and a single-use
// refresh token ('hotline.refresh'). The access token is renewed a fifth of its lifetime before it
// expires (at least 5 s, at most 2 minutes before: src/auth/rules.ts renewMarginSeconds), when a
// tab wakes up past that point, and once after a 401; each renewal is handed to the page's sockets
// (auth:renew), so an agent's shift is never interrupted. Only one renewal runs at a time: a spent
// refresh token presented twice would end the session.
const KEYS = { token: 'hotline.token', refresh: 'hotline.refresh', expires: 'hotline.token-expires' }

export const session = {
  /** @returns {string | null} */
  get token() { return sessionStorage.getItem(KEYS.token) },
  /** @param {string | null} v */
  set token(v) { if (v) sessionStorage.setItem(KEYS.token, v); else clearSession() },
  /** Called on a 401 that a renewal could not cure (expired, revoked or ended session). @type {() => void} */
  onUnauthorized: () => {},
  /**
   * Runs when the login says the password must be changed first (the first administrator) and
   * resolves once it is (public/shared/password.js installs a dialog); the login waits for it.
   * @type {(currentPassword: string) => Promise<void>}
   */
  onPasswordChangeRequired: async () => { throw new ApiError('HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED', 'the password must be changed first') }
}

function clearSession() {
  for (const k of Object.values(KEYS)) sessionStorage.removeItem(k)
  clearTimeout(renewTimer)
}

/** @typedef {{ token: string, expiresIn: number, refreshToken: string, passwordChangeRequired?: boolean, user?: { id: string, displayName: string, role: string } }} Issued */

/** @type {((token: string) => void)[]} */
const renewListeners = []
/** Runs `fn` with each new access token (the page's sockets pass it on). @param {(token: string) => void} fn */
export function onRenewed(fn) { renewListeners.push(fn) }

/** @type {ReturnType<typeof setTimeout> | undefined} */
let renewTimer
/** @param {number} lifetimeSeconds */
const renewMargin = (lifetimeSeconds) => Math.min(120, Math.max(5, Math.round(lifetimeSeconds / 5)))

/** Keeps a login's, a refresh's or a password change's tokens and schedules the next renewal. @param {Issued} issued */
export function keepSession(issued) {
  sessionStorage.setItem(KEYS.token, issued.token)
  sessionStorage.setItem(KEYS.refresh, issued.refreshToken)
  const renewAt = Date.now() + (issued.expiresIn - renewMargin(issued.expiresIn)) * 1000
  sessionStorage.setItem(KEYS.expires, String(renewAt))
  scheduleRenewal()
}

function scheduleRenewal() {
  clearTimeout(renewTimer)
  const at = Number(sessionStorage.getItem(KEYS.expires) ?? 0)
  if (!sessionStorage.getItem(KEYS.refresh) || !at) return
  renewTimer = setTimeout(() => { void renewSession() }, Math.max(0, at - Date.now()))
}

/** @type {Promise<boolean> | null} */
let renewing = null
/**
 * Trades the refresh token for a new pair (one at a time). False when the session is over: the
 * page's onUnauthorized runs then.
 * @returns {Promise<boolean>}
 */
export function renewSession() {
  if (renewing) return renewing
  const refreshToken = sessionStorage.getItem(KEYS.refresh)
  if (!refreshToken) return Promise.resolve(false)
  renewing = (async () => {
    let res
    try {
      res = await fetch('/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken }) })
    } catch {
      // The server is not reachable: try again shortly, the access token may still be good.
      clearTimeout(renewTimer)
      renewTimer = setTimeout(() => { void renewSession() }, 5000)
      return false
    }
    if (!res.ok) { clearSession(); session.onUnauthorized(); return false }
    const issued = /** @type {Issued} */ (await res.json())
    keepSession(issued)
    for (const fn of renewListeners) { try { fn(issued.token) } catch { /* a page's listener must not stop the others */ } }
    return true
  })().finally(() => { renewing = null })
  return renewing
}

// A tab in the background has its timers slowed down, a laptop may have slept: check on waking.
if (typeof document !== 'undefined') {
  document.addEventListener('visibilitychange', () => {
    const at = Number(sessionStorage.getItem(KEYS.expires) ?? 0)
    if (document.visibilityState === 'visible' && at && Date.now() >= at) void renewSession()
  })
}
// A reload keeps the session: its renewal is scheduled again.
scheduleRenewal()

/**
 * One REST call with the session's token. Resolves with the JSON (or text) body; rejects with an
 * ApiError whose code is the server's (or HOTLINE_NETWORK when the server is not reachable). A
 * 401 renews the session once and retries.
 * @param {string} method @param {string} path @param {unknown} [body] @param {boolean} [retried]
 * @returns {Promise<any>}
 */
export async function api(method, path, body, retried = false) {
  const token = session.token
  let res
  try {
    res = await fetch(path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body)
    })
  } catch (err) {
    throw new ApiError('HOTLINE_NETWORK', String(/** @type {Error} */ (err).message ?? err))
  }
  const text = await res.text()
  const data = text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text
  if (res.status === 401 && !path.startsWith('/v1/auth/token') && !path.startsWith('/v1/auth/refresh')) {
    if (!retried && (await renewSession())) return api(method, path, body, true)
    clearSession(); session.onUnauthorized()
  }
  if (!res.ok) throw new ApiError(data?.code ?? `HTTP_${res.status}`, data?.message ?? res.statusText, res.status)
  return data
}

/**
 * A download (blob) with the session's token, renewed once on a 401.
 * @param {string} path @returns {Promise<Response>}
 */
export async function fetchWithSession(path) {
  let res = await fetch(path, { headers: { authorization: `Bearer ${session.token}` } })
  if (res.status === 401 && (await renewSession())) res = await fetch(path, { headers: { authorization: `Bearer ${session.token}` } })
  return res
}

/**
 * Logs in; keeps the session and returns the access token. When the password must be changed
 * first, the page's onPasswordChangeRequired runs (the token then admits only that).
 * @param {string} username @param {string} password
 */
export async function login(username, password) {
  const issued = /** @type {Issued} */ (await api('POST', '/v1/auth/token', { username, password }))
  keepSession(issued)
  if (issued.passwordChangeRequired) await session.onPasswordChangeRequired(password)
  return /** @type {string} */ (session.token)
}

/** Changes the user's own password; keeps the new session it returns. @param {string} currentPassword @param {string} newPassword */
export async function changePassword(currentPassword, newPassword) {
  const issued = /** @type {Issued} */ (await api('POST', '/v1/auth/password', { currentPassword, newPassword }))
  keepSession(issued)
  return issued.token
}

/** Signs out on the server (every token and refresh token of the user ends), then forgets the session. */
export async function logout() {
  const token = session.token
  clearSession()
  if (!token) return
  try { await fetch('/v1/auth/logout', { method: 'POST', headers: { authorization: `Bearer ${token}` } }) } catch { /* the session is forgotten here anyway */ }
}

/**
 * Socket.IO `auth` that reads the current token at every (re)connect, so a reconnect after a
 * renewal uses the new one. @param {Record<string, unknown>} [extra]
 * @returns {(cb: (data: object) => void) => void}
 */
export const socketAuth = (extra = {}) => (cb) => cb({ ...extra, token: session.token })

/**
 * Keeps a socket's session: each renewal is handed to it (auth:renew), and a connect refused as
 * unauthorized renews the session once and connects again. Returns whether the refusal was cured.
 * @param {import('socket.io-client').Socket} socket
 */
export function keepSocketSession(socket) {
  onRenewed((token) => { if (socket.connected) socket.timeout(8000).emit('auth:renew', { token }, () => {}) })
  // The server closed the socket (its token expired while the page slept, or the session was
  // revoked): a renewal decides. It fails for a revoked session, and the page's onUnauthorized runs.
  socket.on('disconnect', (reason) => {
    if (reason !== 'io server disconnect') return
    void renewSession().then((ok) => { if (ok) socket.connect() })
  })
  return async (/** @type {Error} */ err) => {
    if (socketErrorCode(err) !== 'HOTLINE_AUTH_UNAUTHORIZED') return false
    if (!(await renewSession())) return false
    socket.connect()
    return true
  }
}

/** A Socket.IO connect_error's code ("HOTLINE_AUTH_FORBIDDEN: role ..." → HOTLINE_AUTH_FORBIDDEN). @param {Error} err */
export const socketErrorCode = (err) => /^([A-Z][A-Z0-9_]+):/.exec(err.message)?.[1] ?? 'HOTLINE_NETWORK'

/**
 * A command with an ack ({ ok, data } | { ok: false, error }) over a connected socket.
 * @param {import('socket.io-client').Socket | null} socket @param {string} event @param {...unknown} args
 * @returns {Promise<any>}
 */
export function command(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    if (!socket?.connected) return reject(new ApiError('HOTLINE_OFFLINE', 'not connected'))
    socket.timeout(8000).emit(event, ...args, (/** @type {Error | null} */ err, /** @type {any} */ res) => {
      if (err) return reject(new ApiError('HOTLINE_TIMEOUT', 'timeout'))
      if (!res.ok) return reject(new ApiError(res.error.code, res.error.message))
      resolve(res.data)
    })
  })
}
