/**
 * Sessions (会话): a login yields a short-lived access token (the bearer JWT, HOTLINE_ACCESS_TOKEN_TTL_S)
 * and a refresh token. The pages trade the refresh token for a new pair before the access token
 * expires, so a shift is never interrupted while a stolen access token is worth minutes only.
 *
 * A refresh token is 32 random bytes, stored as its SHA-256 hash (a copy of the table logs nobody
 * in), used once: each refresh marks it used and issues the next of the same family (one login,
 * the JWT's `sid`). A used token presented again means two parties hold the family, so the whole
 * family ends, its access tokens too. A family lasts HOTLINE_SESSION_TTL_S from its login
 * whatever its refreshes. Sign-out, disable, password change or reset and role change end every
 * family of the user.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Sql } from '../db/sql.ts'
import type { TokenClaims } from './plugin.ts'
import type { TokenRevocation } from './revocation.ts'
import type { User } from './store.ts'

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex')

export type Rotation =
  | { kind: 'rotated'; userId: string; familyId: string; token: string; expiresAt: Date }
  /** Not a token of ours, or ended (expired, revoked): nothing else happens. */
  | { kind: 'invalid'; reason: 'unknown' | 'expired' | 'revoked'; userId?: string }
  /** Used before: the family was revoked just now. */
  | { kind: 'reused'; userId: string; familyId: string }

export class RefreshTokens {
  constructor(private readonly sql: Sql) {}

  /** A new token of `familyId`, valid until `expiresAt`; returns the token itself (only its hash is kept). */
  async create(userId: string, familyId: string, expiresAt: Date): Promise<string> {
    const token = randomBytes(32).toString('base64url')
    await this.sql`insert into refresh_tokens (token_hash, family_id, user_id, expires_at) values (${hashOf(token)}, ${familyId}, ${userId}, ${expiresAt})`
    return token
  }

  /** Uses `token` once: marks it used and writes the next token of its family, in one transaction. */
  async rotate(token: string, now: Date): Promise<Rotation> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<{ userId: string; familyId: string; expiresAt: Date; usedAt: Date | null; revokedAt: Date | null }[]>`
        select user_id, family_id, expires_at, used_at, revoked_at from refresh_tokens where token_hash = ${hashOf(token)} for update`
      if (!row) return { kind: 'invalid', reason: 'unknown' } as const
      if (row.revokedAt) return { kind: 'invalid', reason: 'revoked', userId: row.userId } as const
      if (row.usedAt) {
        await tx`update refresh_tokens set revoked_at = ${now}, revoked_reason = 'reused' where family_id = ${row.familyId} and revoked_at is null`
        return { kind: 'reused', userId: row.userId, familyId: row.familyId } as const
      }
      if (row.expiresAt.getTime() <= now.getTime()) return { kind: 'invalid', reason: 'expired', userId: row.userId } as const
      await tx`update refresh_tokens set used_at = ${now} where token_hash = ${hashOf(token)}`
      const next = randomBytes(32).toString('base64url')
      await tx`insert into refresh_tokens (token_hash, family_id, user_id, expires_at) values (${hashOf(next)}, ${row.familyId}, ${row.userId}, ${row.expiresAt})`
      return { kind: 'rotated', userId: row.userId, familyId: row.familyId, token: next, expiresAt: row.expiresAt } as const
    })
  }

  async revokeUser(userId: string, reason: string, now: Date): Promise<void> {
    await this.sql`update refresh_tokens set revoked_at = ${now}, revoked_reason = ${reason} where user_id = ${userId} and revoked_at is null`
  }

  /** Rows past their family's end, gone for a day: nothing can use them any more. */
  async purge(now: Date): Promise<number> {
    return (await this.sql`delete from refresh_tokens where expires_at < ${new Date(now.getTime() - 86_400_000)}`).count
  }
}

export interface IssuedSession {
  token: string
  /** Seconds the access token lives. */
  expiresIn: number
  refreshToken: string
  /** Seconds the session (the refresh token's family) has left. */
  refreshExpiresIn: number
  /** True while the user must change the password: the token admits only that (and sign-out). */
  passwordChangeRequired: boolean
  user: { id: string; displayName: string; role: User['role'] }
}

export class SessionService {
  constructor(private readonly deps: {
    app: FastifyInstance; refresh: RefreshTokens; revocation: TokenRevocation; now: () => number
    accessTtlSeconds: number; sessionTtlSeconds: number
  }) {}

  /** A new session for a user who just proved who they are. */
  async login(user: User): Promise<IssuedSession> {
    const familyId = randomUUID()
    const expiresAt = new Date(this.deps.now() + this.deps.sessionTtlSeconds * 1000)
    const refreshToken = await this.deps.refresh.create(user.id, familyId, expiresAt)
    return this.issue(user, familyId, refreshToken, expiresAt)
  }

  /** Trades a refresh token for a new pair; `load` reads the user as it is now (role, disabled). */
  async refresh(token: string, load: (userId: string) => Promise<User | null>): Promise<{ ok: true; session: IssuedSession } | { ok: false; reason: string; userId?: string; reused?: boolean }> {
    const rotation = await this.deps.refresh.rotate(token, new Date(this.deps.now()))
    if (rotation.kind === 'invalid') return { ok: false, reason: rotation.reason, ...(rotation.userId ? { userId: rotation.userId } : {}) }
    if (rotation.kind === 'reused') {
      await this.deps.revocation.revokeSession(rotation.familyId, 'refresh token reused')
      return { ok: false, reason: 'reused', userId: rotation.userId, reused: true }
    }
    const user = await load(rotation.userId)
    if (!user || user.disabled) {
      await this.endUser(rotation.userId, 'account disabled')
      return { ok: false, reason: 'disabled', userId: rotation.userId }
    }
    return { ok: true, session: this.issue(user, rotation.familyId, rotation.token, rotation.expiresAt) }
  }

  /** Every session of the user ends: access tokens at once, refresh tokens too (sign-out, disable, password, role). */
  async endUser(userId: string, reason: string): Promise<void> {
    await this.deps.refresh.revokeUser(userId, reason, new Date(this.deps.now()))
    await this.deps.revocation.revokeUser(userId, reason)
  }

  private issue(user: User, familyId: string, refreshToken: string, expiresAt: Date): IssuedSession {
    const claims: TokenClaims = {
      sub: user.id, role: user.role, name: user.displayName, iatMs: this.deps.now(), sid: familyId,
      ...(user.unitId ? { unitId: user.unitId } : {}), ...(user.mustChangePassword ? { pwc: true } : {})
    }
    const refreshLeft = Math.max(1, Math.floor((expiresAt.getTime() - this.deps.now()) / 1000))
    // The access token never outlives its session.
    const expiresIn = Math.min(this.deps.accessTtlSeconds, refreshLeft)
    const token = this.deps.app.jwt.sign(claims, { expiresIn })
    return {
      token, expiresIn, refreshToken, refreshExpiresIn: refreshLeft, passwordChangeRequired: user.mustChangePassword,
      user: { id: user.id, displayName: user.displayName, role: user.role }
    }
  }
}
