/**
 * Token revocation: a user's tokens issued before a moment are void (sign-out, disable,
 * password change or reset). The moment is kept in Redis, so every node honours it at once;
 * REST checks it on every request, Socket.IO on every command, and the revoking node closes the
 * user's sockets on every node through the Socket.IO adapter ('revoked' event).
 */
import { EventEmitter } from 'node:events'
import type { Redis } from 'ioredis'
import { keys } from '../redis/keys.ts'
import type { TokenClaims } from './plugin.ts'

export class TokenRevocation extends EventEmitter<{ revoked: [userId: string, reason: string] }> {
  /** `keepSeconds`: at least the longest token lifetime; after that every older token has expired anyway. */
  constructor(private readonly redis: Redis, private readonly keepSeconds: number) { super() }

  async revokeUser(userId: string, reason: string): Promise<void> {
    await this.redis.set(keys.tokensRevokedBefore(userId), String(Date.now()), 'EX', this.keepSeconds + 60)
    this.emit('revoked', userId, reason)
  }

  /** True when the token was issued before its user's last revocation. */
  async isRevoked(claims: TokenClaims): Promise<boolean> {
    const before = await this.redis.get(keys.tokensRevokedBefore(claims.sub))
    if (before === null) return false
    return issuedAtMs(claims) < Number(before)
  }
}

/** Milliseconds: `iatMs` where present (two tokens within one second differ), else the standard `iat`. */
export function issuedAtMs(claims: TokenClaims): number {
  return typeof claims.iatMs === 'number' ? claims.iatMs : (claims.iat ?? 0) * 1000
}
