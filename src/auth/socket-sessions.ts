/**
 * The session check of every Socket.IO namespace (/agent, /supervisor with the wallboard,
 * /unit): one helper, so no namespace checks less than another.
 *
 * - At connect, and at a recovered connect (connection-state recovery with skipMiddlewares
 *   off), the token in auth.token must verify, be unexpired and unrevoked, not be waiting for a
 *   password change, and its user must be admitted by the namespace.
 * - Every packet re-checks expiry and revocation before any handler runs, and is rate limited.
 * - A socket closes when its token expires unless the page renews it (auth:renew).
 * - Sign-out, disable, password change, role change (a user's revocation) and a reused refresh
 *   token (a session's) close the sockets on every node through the adapter at once; a sweep
 *   every few seconds re-checks this node's sockets, in case the revoking node died before it
 *   could broadcast.
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Namespace, Socket } from 'socket.io'
import type { TokenClaims } from './plugin.ts'
import type { TokenRevocation } from './revocation.ts'


export const sessionRooms = {
  /** Every socket of one user, in any namespace. */
  user: (userId: string) => `user:${userId}`,
  /** Every socket of one session (a login and its refreshes). */
  session: (sessionId: string) => `session:${sessionId}`
} as const

/** Null when the namespace admits the user, else why not (sent as HOTLINE_AUTH_FORBIDDEN). */
export type Admission = (user: TokenClaims) => string | null

export const SWEEP_MS = 5000

type Refusal = { code: string; message: string }

export class SocketSessions {
  private readonly namespaces = new Set<Namespace>()
  private readonly sweepTimer: NodeJS.Timeout

  constructor(private readonly deps: { app: FastifyInstance; revocation: TokenRevocation; log: Logger; commandsPerSecond: number }) {
    deps.revocation.on('revoked', (userId) => this.disconnect(sessionRooms.user(userId)))
    deps.revocation.on('session-revoked', (sessionId) => this.disconnect(sessionRooms.session(sessionId)))
    this.sweepTimer = setInterval(() => { this.sweep().catch((err) => deps.log.warn({ err }, 'socket session sweep failed')) }, SWEEP_MS)
    this.sweepTimer.unref()
  }

  /** Call before the namespace's own connection handlers, so the guard is in place before them. */
  protect(ns: Namespace, admit: Admission): void {
    this.namespaces.add(ns)
    ns.use((socket, next) => {
      this.check((socket.handshake.auth as { token?: unknown }).token, admit).then((result) => {
        if ('code' in result) return next(new Error(`${result.code}: ${result.message}`))
        socket.data.user = result
        next()
      }, (err: Error) => next(err))
    })
    ns.on('connection', (socket) => this.guard(socket, admit))
  }

  close(): void {
    clearInterval(this.sweepTimer)
  }

  /** The claims of a token this namespace may use now, or why not. */
  private async check(token: unknown, admit: Admission): Promise<TokenClaims | Refusal> {
    if (typeof token !== 'string') return { code: 'HOTLINE_AUTH_UNAUTHORIZED', message: 'a bearer token is required in auth.token' }
    let user: TokenClaims
    try {
      user = this.deps.app.jwt.verify<TokenClaims>(token)
    } catch {
      return { code: 'HOTLINE_AUTH_UNAUTHORIZED', message: 'invalid or expired token' }
    }
    const refused = admit(user)
    if (refused) return { code: 'HOTLINE_AUTH_FORBIDDEN', message: refused }
    if (user.pwc) return { code: 'HOTLINE_AUTH_PASSWORD_CHANGE_REQUIRED', message: 'the password must be changed first' }
    if (await this.deps.revocation.isRevoked(user)) return { code: 'HOTLINE_AUTH_UNAUTHORIZED', message: 'this token was revoked: log in again' }
    return user
  }

  private guard(socket: Socket, admit: Admission): void {
    const join = (user: TokenClaims) => {
      void socket.join(sessionRooms.user(user.sub))
      if (user.sid) void socket.join(sessionRooms.session(user.sid))
    }
    join(socket.data.user as TokenClaims)
    let expiry: NodeJS.Timeout | undefined
    const armExpiry = (user: TokenClaims) => {
      clearTimeout(expiry)
      if (user.exp) expiry = setTimeout(() => socket.disconnect(true), Math.max(0, user.exp * 1000 - Date.now()))
    }
    armExpiry(socket.data.user as TokenClaims)
    socket.on('disconnect', () => clearTimeout(expiry))

    const rate = this.deps.commandsPerSecond
    let bucket = { tokens: rate * 2, at: Date.now() }
    socket.use((packet, next) => {
      const user = socket.data.user as TokenClaims
      const ack = packet[packet.length - 1] as unknown
      const refuse = (code: string, message: string) => { if (typeof ack === 'function') ack({ ok: false, error: { code, message } }) }
      const now = Date.now()
      bucket = { tokens: Math.min(rate * 2, bucket.tokens + ((now - bucket.at) / 1000) * rate), at: now }
      if (bucket.tokens < 1) return refuse('HOTLINE_RATE_LIMITED', `at most ${rate} commands a second`)
      bucket.tokens -= 1
      if (user.exp && user.exp * 1000 <= now) { refuse('HOTLINE_AUTH_UNAUTHORIZED', 'the token expired: log in again'); socket.disconnect(true); return }
      this.deps.revocation.isRevoked(user).then((revoked) => {
        if (!revoked) return next()
        refuse('HOTLINE_AUTH_UNAUTHORIZED', 'this token was revoked: log in again')
        socket.disconnect(true)
      }, (err: Error) => { refuse('HOTLINE_INTERNAL', 'could not check the session'); this.deps.log.error({ err }, 'socket session check failed') })
    })

    socket.on('auth:renew', (body: unknown, ack: unknown) => {
      if (typeof ack !== 'function') return
      const current = socket.data.user as TokenClaims
      this.check((body as { token?: unknown } | null)?.token, admit).then((result) => {
        if ('code' in result) return ack({ ok: false, error: result })
        if (result.sub !== current.sub) return ack({ ok: false, error: { code: 'HOTLINE_AUTH_FORBIDDEN', message: "another user's token cannot renew this socket" } })
        socket.data.user = result
        join(result)
        armExpiry(result)
        ack({ ok: true, data: { expiresAt: new Date((result.exp ?? 0) * 1000).toISOString() } })
      }, (err: Error) => { ack({ ok: false, error: { code: 'HOTLINE_INTERNAL', message: 'could not check the session' } }); this.deps.log.error({ err }, 'socket renew failed') })
    })
  }

  private disconnect(room: string): void {
    for (const ns of this.namespaces) ns.in(room).disconnectSockets(true)
  }

  /** This node's sockets whose token was revoked (or expired) close. */
  private async sweep(): Promise<void> {
    for (const ns of this.namespaces) {
      for (const socket of [...ns.sockets.values()]) {
        const user = socket.data.user as TokenClaims | undefined
        if (!user) continue
        if ((user.exp && user.exp * 1000 <= Date.now()) || (await this.deps.revocation.isRevoked(user))) socket.disconnect(true)
      }
    }
  }
}
