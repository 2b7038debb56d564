/**
 * Token revocation. Two kinds, both kept in Redis so every node honours them at once:
 * - a user's moment: the user's tokens issued before it are void (sign-out, disable, password
 *   change or reset, role change);
 * - a session (one login and its refreshes, the token's `sid`): void as a whole when a rotated
 *   refresh token of it is presented again (src/auth/sessions.ts).
 * REST checks them on every request, Socket.IO on every command, at connect and at a recovered
 * connect; the revoking node closes the sockets on every node through the Socket.IO adapter
 * ('revoked' and 'session-revoked' events, src/realtime/session.ts).
 */
import { EventEmitter } from 'node:events'
import type { Redis } from 'ioredis'
import { keys } from '../redis/keys.ts'
import type { TokenClaims } from './plugin.ts'

export class TokenRevocation extends EventEmitter<{ revoked: [userId: string, reason: string]; 'session-revoked': [sessionId: string, reason: string] }> {
  /** `keepSeconds`: at least the longest access-token lifetime; after that every older token has expired anyway. */
  constructor(private readonly redis: Redis, private readonly keepSeconds: number) { super() }

  async revokeUser(userId: string, reason: string): Promise<void> {
    await this.redis.set(keys.tokensRevokedBefore(userId), String(Date.now()), 'EX', this.keepSeconds + 60)
    this.emit('revoked', userId, reason)
  }

  async revokeSession(sessionId: string, reason: string): Promise<void> {
    await this.redis.set(keys.sessionRevoked(sessionId), reason, 'EX', this.keepSeconds + 60)
    this.emit('session-revoked', sessionId, reason)
  }

  /** True when the token was issued before its user's last revocation, or its session was revoked. */
  async isRevoked(claims: TokenClaims): Promise<boolean> {
    const [before, session] = await this.redis.mget(keys.tokensRevokedBefore(claims.sub), claims.sid ? keys.sessionRevoked(claims.sid) : keys.sessionRevoked('-'))
    if (session !== null && claims.sid) return true
    if (before === null || before === undefined) return false
    return issuedAtMs(claims) < Number(before)
  }
}

/** Milliseconds: `iatMs` where present (two tokens within one second differ), else the standard `iat`. */
export function issuedAtMs(claims: TokenClaims): number {
  return typeof claims.iatMs === 'number' ? claims.iatMs : (claims.iat ?? 0) * 1000
}
