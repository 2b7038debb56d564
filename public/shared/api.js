// @ts-check
// Login, REST calls and Socket.IO acks, shared by the three pages. The bearer token lives in
// sessionStorage ('hotline.token'), so a reload keeps the session and closing the tab ends it.

/** A failed request or command, carrying the server's error code for the page's translation. */
export class ApiError extends Error {
  /** @param {string} code @param {string} message @param {number} [status] */
  constructor(code, message, status) { super(message); this.code = code; this.status = status }
}

export const session = {
  /** @returns {string | null} */
  get token() { return sessionStorage.getItem('hotline.token') },
  /** @param {string | null} v */
  set token(v) { if (v) sessionStorage.setItem('hotline.token', v); else sessionStorage.removeItem('hotline.token') },
  /** Called on a 401 outside the login itself (expired or revoked token). @type {() => void} */
  onUnauthorized: () => {}
}

/**
 * One REST call with the session's token. Resolves with the JSON (or text) body; rejects with an
 * ApiError whose code is the server's (or HOTLINE_NETWORK when the server is not reachable).
 * @param {string} method @param {string} path @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
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
  if (res.status === 401 && path !== '/v1/auth/token') { session.token = null; session.onUnauthorized() }
  if (!res.ok) throw new ApiError(data?.code ?? `HTTP_${res.status}`, data?.message ?? res.statusText, res.status)
  return data
}

/** Logs in; keeps and returns the token. @param {string} username @param {string} password */
export async function login(username, password) {
  const { token } = await api('POST', '/v1/auth/token', { username, password })
  session.token = token
  return token
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
