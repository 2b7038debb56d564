/**
 * Authentication, wired: users (PostgreSQL), JWT verification with per-user revocation (Redis)
 * on every request, the login throttle and per-address limit, the account routes, and the first
 * administrator created at start when HOTLINE_ADMIN_PASSWORD is set and no user exists.
 */
import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { AuditLog } from '../audit/index.ts'
import type { Config } from '../config.ts'
import type { Sql } from '../db/sql.ts'
import type { Contribution } from '../domain/module.ts'
import type { Redis } from '../redis/client.ts'
import { limitHashing } from './passwords.ts'
import { registerAuth } from './plugin.ts'
import { TokenRevocation } from './revocation.ts'
import { RefreshTokens, SessionService } from './sessions.ts'
import { authRoutes } from './routes.ts'
import { UserStore } from './store.ts'
import { LoginThrottle } from './throttle.ts'

/** Failed logins count against an account within this window. */
const FAILURE_WINDOW_SECONDS = 900
const REFRESH_PURGE_MS = 3_600_000

export interface Auth extends Contribution {
  users: UserStore
  revocation: TokenRevocation
  /** Installs token verification on the server, before any route that checks a role. */
  install(): Promise<void>
  /** The login and account routes (logins are audited; a disabled or demoted agent is signed out of its seat through signOutAgent). */
  routesWith(audit: AuditLog, signOutAgent: (userId: string, actor: string) => Promise<void>): Contribution['routes']
}

export function createAuth(d: { config: Config; sql: Sql; redis: Redis; log: Logger; app: FastifyInstance }): Auth {
  const { config } = d
  limitHashing(config.HOTLINE_PASSWORD_HASH_CONCURRENCY)
  const users = new UserStore(d.sql)
  const revocation = new TokenRevocation(d.redis, config.HOTLINE_ACCESS_TOKEN_TTL_S)
  // Tokens carry wall-clock times (the JWT's exp, the revocation moment), never the test clock's.
  const refreshTokens = new RefreshTokens(d.sql)
  let purgeTimer: NodeJS.Timeout | undefined
  const sessions = new SessionService({
    app: d.app, refresh: refreshTokens, revocation, now: () => Date.now(),
    accessTtlSeconds: config.HOTLINE_ACCESS_TOKEN_TTL_S, sessionTtlSeconds: config.HOTLINE_SESSION_TTL_S
  })
  return {
    users, revocation,
    install: () => registerAuth(d.app, config.HOTLINE_JWT_SECRET, revocation),
    routesWith: (audit, signOutAgent) => [authRoutes({
      users, audit, sessions, signOutAgent,
      login: {
        redis: d.redis, perAddressPerMinute: config.HOTLINE_LOGIN_RATE_PER_MIN,
        throttle: new LoginThrottle(d.redis, { maxFailures: config.HOTLINE_LOGIN_MAX_FAILURES, lockoutSeconds: config.HOTLINE_LOGIN_LOCKOUT_S, windowSeconds: FAILURE_WINDOW_SECONDS })
      }
    })],
    async start() {
      if (config.HOTLINE_ADMIN_PASSWORD && (await users.bootstrapAdmin(config.HOTLINE_ADMIN_PASSWORD))) {
        d.log.info('created the first administrator (user id "admin")')
      }
      // Refresh tokens past their session's end (and a day) can serve nobody: removed hourly.
      purgeTimer = setInterval(() => { refreshTokens.purge(new Date()).catch((err) => d.log.warn({ err }, 'purging ended refresh tokens failed')) }, REFRESH_PURGE_MS)
      purgeTimer.unref()
    },
    stop() { clearInterval(purgeTimer) }
  }
}
